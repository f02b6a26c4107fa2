import Foundation
import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A PostgreSQL server for the tests, on loopback: the one `RAPPORT_TEST_POSTGRES_URL` names
/// (a URL of a database the tests may create databases from), or else one this process starts
/// once — `initdb` in a temporary folder, `pg_ctl start` on a free port — and stops when it
/// exits. As root the server runs as the `postgres` account, which PostgreSQL requires.
public enum TestPostgres {
    /// The server's admin URL, or why no server could be started.
    public static let server: Result<String, Unavailable> = start()

    /// Why the PostgreSQL half of the tests cannot run.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Whether the tests must fail rather than skip when no server can be started (CI sets
    /// `RAPPORT_REQUIRE_POSTGRES=1`).
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["RAPPORT_REQUIRE_POSTGRES"] == "1" }

    /// Whether a server is running for the tests; says loudly on standard error when not.
    public static var isAvailable: Bool {
        switch server {
        case .success: return true
        case .failure(let reason):
            announceSkip(reason)
            return false
        }
    }

    /// A new, empty database on the test server; its URL.
    public static func createDatabase() throws -> String {
        try createDatabase(on: try server.get())
    }

    /// A new, empty database on the server whose admin URL is `admin` (in `tablespace`, when
    /// one is named); its URL.
    public static func createDatabase(on admin: String, tablespace: String? = nil) throws -> String {
        let name = "rapport_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try runPSQL(admin, "CREATE DATABASE \(name)" + (tablespace.map { " TABLESPACE \($0)" } ?? ""))
        return replacingDatabase(in: admin, with: String(name))
    }

    /// Drops a database made by ``createDatabase()``, closing its connections.
    public static func dropDatabase(_ url: String) {
        guard case .success(let admin) = server, let name = url.split(separator: "/").last else { return }
        try? runPSQL(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    static func replacingDatabase(in url: String, with name: String) -> String {
        var parts = url.split(separator: "/", omittingEmptySubsequences: false)
        parts[parts.count - 1] = Substring(name)
        return parts.joined(separator: "/")
    }

    private static let skipAnnounced = Mutex(false)

    private static func announceSkip(_ reason: Unavailable) {
        let first = skipAnnounced.withLock { announced in
            defer { announced = true }
            return !announced
        }
        guard first else { return }
        let banner = String(repeating: "!", count: 78)
        FileHandle.standardError.write(
            Data(
                "\n\(banner)\nSKIPPING the PostgreSQL half of the store tests: \(reason)\n\(banner)\n\n".utf8))
    }

    private static func start() -> Result<String, Unavailable> {
        if let url = ProcessInfo.processInfo.environment["RAPPORT_TEST_POSTGRES_URL"], !url.isEmpty {
            return .success(url)
        }
        do {
            return .success(try PostgresServer.launch().adminURL)
        } catch {
            return .failure(error)
        }
    }

    static func binaryFolder() -> String? {
        var candidates: [String] = []
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            candidates += versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
        }
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    static func runPSQL(_ url: String, _ sql: String) throws {
        try run(["/usr/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], log: nil)
    }

    /// Runs one query with `psql` and returns its rows, a line each, columns joined by `|`.
    public static func query(_ url: String, _ sql: String) throws -> [String] {
        let output = NSTemporaryDirectory() + "rapport-psql-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: output) }
        try run(["/usr/bin/psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql], log: output)
        let text = try String(contentsOfFile: output, encoding: .utf8)
        return text.split(separator: "\n").map(String.init)
    }

    /// Runs a command to completion (bounded: 120 s), throwing with its output when it fails.
    /// The output goes to a file, not a pipe (a server the command starts would keep a pipe
    /// open), and the child is reaped with `waitpid`, as Foundation's `Process` did not notice
    /// `pg_ctl` exiting when run from a test's static initializer.
    static func run(_ arguments: [String], log: String?) throws {
        let outputPath = log ?? NSTemporaryDirectory() + "rapport-command-\(UUID().uuidString).log"
        defer { if log == nil { try? FileManager.default.removeItem(atPath: outputPath) } }
        let tool = arguments.first { $0.hasSuffix("initdb") || $0.hasSuffix("pg_ctl") || $0.hasSuffix("psql") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard spawned == 0 else {
            throw Unavailable(description: "cannot run \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        let deadline = Date().addingTimeInterval(120)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            guard Date() < deadline else {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw Unavailable(description: "\(tool ?? arguments[0]) did not finish in 120 s")
            }
            usleep(10_000)
        }
        // Exited normally with status 0.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let tail = text.split(separator: "\n").suffix(3).joined(separator: " | ")
            throw Unavailable(description: "\(tool ?? arguments[0]) failed: \(tail)")
        }
    }

    /// A port nothing listens on now (bound to 0, then released).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw Unavailable(description: "cannot find a free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A PostgreSQL server of the tests' own: `initdb` in a temporary folder, `pg_ctl start` on a
/// free 127.0.0.1 port, fsync off. As root it runs as the `postgres` account, which PostgreSQL
/// requires. Every server launched is stopped, and its folder removed, when the process exits;
/// a test that needs to take a server away (a restart under a running daemon) launches its own
/// rather than disturbing the shared one.
public final class PostgresServer: Sendable {
    /// The URL of the server's `postgres` database, as the `rapport` superuser.
    public let adminURL: String
    private let folder: String
    private let pgCtl: [String]
    private let options: String

    /// Initializes and starts a new server. With `certificate`, it offers TLS with it (and
    /// still accepts plain connections); with `password`, TCP connections must give it (SCRAM).
    public static func launch(certificate: TestCertificate? = nil, password: String? = nil) throws(TestPostgres
        .Unavailable) -> PostgresServer
    {
        guard let bin = TestPostgres.binaryFolder() else {
            throw TestPostgres.Unavailable(description: "initdb not found (install the postgresql package)")
        }
        let folder = NSTemporaryDirectory() + "rapport-pg-\(getpid())-\(UUID().uuidString.prefix(8))"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // Files the server reads: its TLS key must be its own and private.
            var authentication = ["--auth=trust"]
            if let password {
                try password.write(toFile: folder + "/password", atomically: true, encoding: .utf8)
                authentication = [
                    "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile=" + folder + "/password",
                ]
            }
            var tls = ""
            if let certificate {
                try FileManager.default.copyItem(atPath: certificate.certificate, toPath: folder + "/server.crt")
                try FileManager.default.copyItem(atPath: certificate.key, toPath: folder + "/server.key")
                chmod(folder + "/server.key", 0o600)
                tls = " -c ssl=on -c ssl_cert_file=\(folder)/server.crt -c ssl_key_file=\(folder)/server.key"
            }
            var prefix: [String] = []
            if getuid() == 0 {
                guard let account = getpwnam("postgres") else {
                    throw TestPostgres.Unavailable(
                        description: "running as root and there is no postgres account to run the server")
                }
                for path in [folder]
                    + (try FileManager.default.contentsOfDirectory(atPath: folder)).map({ folder + "/" + $0 })
                {
                    guard chown(path, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                        throw TestPostgres.Unavailable(description: "cannot hand \(path) to the postgres account")
                    }
                }
                prefix = ["/usr/sbin/runuser", "-u", "postgres", "--"]
            }
            try TestPostgres.run(
                prefix + [bin + "/initdb", "-D", folder + "/data", "-U", "rapport"] + authentication + [
                    "--no-sync", "-E", "UTF8", "--locale=C",
                ], log: folder + "/initdb.log")
            let port = try TestPostgres.freePort()
            let credentials = password.map { "rapport:\($0)" } ?? "rapport"
            let server = PostgresServer(
                adminURL: "postgres://\(credentials)@127.0.0.1:\(port)/postgres", folder: folder,
                pgCtl: prefix + [bin + "/pg_ctl", "-D", folder + "/data"],
                options: "-c listen_addresses=127.0.0.1 -p \(port) -k \(folder) -c fsync=off -c max_connections=300"
                    + " -c shared_buffers=32MB" + tls)
            Self.register(server)
            try server.start()
            return server
        } catch let error as TestPostgres.Unavailable {
            throw error
        } catch {
            throw TestPostgres.Unavailable(description: "\(error)")
        }
    }

    private init(adminURL: String, folder: String, pgCtl: [String], options: String) {
        self.adminURL = adminURL
        self.folder = folder
        self.pgCtl = pgCtl
        self.options = options
    }

    /// Starts the server (again), returning once it accepts connections.
    public func start() throws {
        try TestPostgres.run(
            pgCtl + ["-l", folder + "/server.log", "-w", "-t", "60", "-o", options, "start"],
            log: folder + "/pg_ctl.log")
    }

    /// Stops the server as an administrator's fast shutdown does: open connections are ended.
    public func stop() throws {
        try TestPostgres.run(pgCtl + ["-m", "fast", "-w", "stop"], log: folder + "/pg_ctl.log")
    }

    private static let launched = Mutex<[PostgresServer]>([])

    private static func register(_ server: PostgresServer) {
        let first = launched.withLock { servers in
            servers.append(server)
            return servers.count == 1
        }
        guard first else { return }
        atexit {
            for server in PostgresServer.launched.withLock({ $0 }) {
                try? TestPostgres.run(server.pgCtl + ["-m", "immediate", "-w", "stop"], log: "/dev/null")
                try? FileManager.default.removeItem(atPath: server.folder)
            }
        }
    }
}
