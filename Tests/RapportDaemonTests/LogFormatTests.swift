import Foundation
import Logging
import RapportDaemon
import Testing

@Suite struct LogFormatTests {
    let date = Date(timeIntervalSince1970: 1_796_637_600.25)  // 2026-12-07T10:00:00.250Z

    @Test func textHasTimestampLevelMessageAndSortedPairs() {
        let line = LogFormat.text.line(
            level: .warning, message: "delivery failed", metadata: ["transport": "smtp", "error": "450 try later"],
            date: date)
        #expect(line == "2026-12-07T10:00:00.250Z warning delivery failed error=\"450 try later\" transport=smtp")
    }

    @Test func journalHasAPriorityPrefixAndNoTimestamp() {
        let line = LogFormat.journal.line(level: .error, message: "tick failed", metadata: ["n": "1"], date: date)
        #expect(line == "<3>tick failed n=1")
        let levels: [(Logger.Level, Int)] = [
            (.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
        ]
        for (level, priority) in levels {
            #expect(LogFormat.syslogPriority(level) == priority)
            #expect(LogFormat.journal.line(level: level, message: "m", metadata: [:], date: date) == "<\(priority)>m")
        }
    }

    @Test func everyEventIsOneLine() {
        for format in LogFormat.allCases {
            let line = format.line(
                level: .error, message: "first\nsecond", metadata: ["detail": "a\r\nb"], date: date)
            #expect(!line.contains("\n") && !line.contains("\r"), "\(format): \(line)")
        }
    }

    @Test func jsonIsOneObjectWithTsLevelMsgAndMetadata() throws {
        let line = LogFormat.json.line(
            level: .info, message: "sent \"x\"", metadata: ["id": "abc", "list": .array(["a", "b"])], date: date)
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["ts"] as? String == "2026-12-07T10:00:00.250Z")
        #expect(object["level"] as? String == "info")
        #expect(object["msg"] as? String == "sent \"x\"")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["id"] as? String == "abc")
        #expect(metadata["list"] as? [String] == ["a", "b"])
        let bare = LogFormat.json.line(level: .info, message: "m", metadata: [:], date: date)
        #expect(!bare.contains("metadata"))
    }

    @Test func journalIsChosenOnlyWhenStandardErrorIsTheJournalStream() {
        let stream = (device: UInt64(8), inode: UInt64(4242))
        #expect(LogFormat.automatic(environment: ["JOURNAL_STREAM": "8:4242"], standardError: stream) == .journal)
        #expect(LogFormat.automatic(environment: ["JOURNAL_STREAM": "8:1"], standardError: stream) == .text)
        #expect(LogFormat.automatic(environment: [:], standardError: stream) == .text)
        #expect(LogFormat.automatic(environment: ["JOURNAL_STREAM": "junk"], standardError: stream) == .text)
    }

    @Test func theHandlerWritesMergedMetadata() {
        let sink = LineSink()
        var logger = Logger(label: "test") { _ in RapportLogHandler(format: .journal, level: .info, sink: sink) }
        logger[metadataKey: "daemon"] = "1"
        logger.debug("hidden")
        logger.notice("hello", metadata: ["k": "v"])
        #expect(sink.lines == ["<5>hello daemon=1 k=v"])
    }
}
