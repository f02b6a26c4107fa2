import Foundation
import Logging
import Testing

@testable import RapportDaemon

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

    /// Read byte by byte, text with other characters stays as it is, and CR and LF among
    /// them are still replaced.
    @Test func onlyLineBreaksAreRewritten() {
        for text in ["café ©", "a → b", "€5", "a\u{2028}b"] { #expect(LogFormat.oneLine(text) == text) }
        #expect(LogFormat.oneLine("café\r\n→ b\r€") == "café\\n→ b\\n€")
        #expect(LogFormat.quoted("é=1") == "\"é=1\"")
        #expect(LogFormat.quoted("naïve") == "naïve")
        #expect(LogFormat.quoted("") == "\"\"")
    }

    /// The timestamp is written from the calendar fields directly, as Foundation's ISO 8601
    /// style with fractional seconds writes it (milliseconds, the rest dropped).
    @Test func theTimestampIsFoundationsISO8601WithMilliseconds() {
        var generator = SystemRandomNumberGenerator()
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        // Whole milliseconds and 0.4 of one: no doubt about which millisecond it is.
        let fixed: [Int64] = [
            0, 1, 999, 1_000, 1_796_637_600_250, 1_796_637_599_999, 4_102_444_799_500, 951_782_400_125,
        ]
        let random = (0..<2_000).map { _ in Int64.random(in: 0..<4_102_444_800_000, using: &generator) }
        for milliseconds in fixed + random {
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1_000 + 0.000_4)
            #expect(LogFormat.timestamp(date) == date.formatted(style), "\(milliseconds)")
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
