import Foundation
import Logging
import PostgresNIO
import RapportTestSupport
import Synchronization
import Testing

@testable import RapportStore

/// The PostgreSQL session's waits: none may last for ever.
@Suite(.enabled(if: TestPostgres.isAvailable)) struct PostgresSessionTests {
    /// postgres-nio drops a statement written to a connection that has just closed, and never
    /// answers it. That once froze a daemon's dispatch after a server restart: a claim waited
    /// for an answer that could not come. The session notices the closed connection and fails
    /// the statement as a lost connection, which the driver retries on a new one.
    @Test func aStatementOnAClosedConnectionFailsInsteadOfWaitingForEver() throws {
        let driver = try PostgresDriver(url: try TestPostgres.server.get())
        let connection = try driver.checkOut()
        try connection.close().wait()

        let outcome = Mutex<Result<Int, any Error>?>(nil)
        Thread {
            let result = Result { () throws -> Int in
                let session = PostgresSession(connection, logger: Logger(label: "test"))
                return try session.fetchAll(sql: "SELECT 1", arguments: []).count
            }
            outcome.withLock { $0 = result }
        }.start()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, outcome.withLock({ $0 == nil }) { Thread.sleep(forTimeInterval: 0.05) }

        let result = try #require(outcome.withLock { $0 }, "the statement was still waiting after 10 s")
        #expect(throws: PostgresSession.ConnectionLost.self) { try result.get() }
    }
}
