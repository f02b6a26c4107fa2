import Foundation
import RapportTestSupport
import Testing

@testable import RapportCore

/// The data reader's JSON parser reads exactly what `JSONDecoder` reads, and refuses what it
/// refuses: hand-picked documents, seeded random documents, and random damage done to them.
@Suite struct JSONValueParserTests {
    /// `JSONDecoder`'s reading of a document, as the data reader used it before.
    func foundation(_ bytes: [UInt8]) -> RawValue? {
        try? JSONDecoder().decode(RawValue.self, from: Data(bytes))
    }

    func ours(_ bytes: [UInt8]) -> RawValue? {
        try? JSONValueParser.value(of: bytes)
    }

    @Test func readsWhatJSONDecoderReads() {
        let documents = [
            #"{"id": "c1", "name": "Ada", "tags": ["a", "b"], "n": 3, "ok": true, "none": null}"#,
            #"[]"#, #"{}"#, #"[[[]]]"#, #" [ 1 , 2 ] "#, "\t{\n\"a\"\r\n:\n1}\n",
            #""just text""#, #"42"#, #"-0"#, #"-0.5e-3"#, #"1E+2"#, #"1e400"#, #"0.1"#, #"123456789012345678901"#,
            #"true"#, #"false"#, #"null"#,
            #""\u00e9\u4e2d\ud83d\ude00 \"quoted\" \\ \/ \b\f\n\r\t""#, #""é 中 😀""#,
            #"{"a": 1, "a": 2}"#, #"{"a": 1,}"#, #"[1,]"#, #"[1 , ]"#,
            // Refused by both.
            #"[,]"#, #"{,}"#, #"[1,,]"#, #"[01]"#, #"[1.]"#, #"[.5]"#, #"[1e]"#, #"[+1]"#, #"[-]"#, #"[NaN]"#,
            #"[Infinity]"#, #"{'a': 1}"#, #"{a: 1}"#, #"[1 2]"#, #"{"a" 1}"#, #"[tru]"#, #"[nul]"#, #"[truex]"#,
            #""\ud83d""#, #""\ude00""#, #""\ud83dx""#, #""\u12""#, #""\x""#, "\"a\u{01}b\"", "\"tab\there\"",
            #"{"a": 1} x"#, #""#, #"   "#, #"[1, 2"#, #"{"a": "#, #""never closed"#, "[0x10]",
        ]
        for document in documents {
            let bytes = Array(document.utf8)
            #expect(ours(bytes) == foundation(bytes), "\(document)")
        }
        // A byte order mark before the document (the first line of a JSON Lines export).
        let marked: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(#"{"id": "c1"}"#.utf8)
        #expect(ours(marked) == foundation(marked))
        #expect(ours(marked) != nil)
        // Bytes that are not UTF-8 in a string.
        let invalid: [UInt8] = [0x22, 0x61, 0xFF, 0x62, 0x22]
        #expect(ours(invalid) == nil)
        #expect(ours(invalid) == foundation(invalid))
    }

    @Test func nestingIsBounded() {
        let deep = Array((String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)).utf8)
        #expect(ours(deep) == nil)
        let fine = Array((String(repeating: "[", count: 100) + String(repeating: "]", count: 100)).utf8)
        #expect(ours(fine) == foundation(fine))
    }

    /// Seeded random documents, then each damaged at random (a byte changed, dropped or the
    /// end cut off): accepted and refused alike, with the same values.
    @Test func randomDocumentsAndDamageReadAlike() {
        var random = SeededGenerator(seed: 20_261_202)
        let pieces = [
            "a", "Zoë", "中文", "😀", "\\n", "\\\"", "\\\\", "\\u00e9", "\\ud83d\\ude00", "\\/", " ", "x y", "\\t",
        ]
        func text() -> String {
            "\""
                + (0..<Int.random(in: 0...4, using: &random)).map { _ in pieces.randomElement(using: &random)! }
                .joined()
                + "\""
        }
        func value(_ depth: Int) -> String {
            switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &random) {
            case 0: return text()
            case 1: return ["true", "false", "null"].randomElement(using: &random)!
            case 2: return "\(Int.random(in: -1_000_000...1_000_000, using: &random))"
            case 3: return "\(Double.random(in: -1e6...1e6, using: &random))"
            case 4: return ["0", "-0", "1e3", "2.5E-2", "-7.25e+1"].randomElement(using: &random)!
            case 5:
                return "["
                    + (0..<Int.random(in: 0...4, using: &random)).map { _ in value(depth + 1) }.joined(separator: ", ")
                    + "]"
            default:
                return "{"
                    + (0..<Int.random(in: 0...4, using: &random)).map { _ in "\(text()): \(value(depth + 1))" }
                    .joined(separator: ",") + "}"
            }
        }
        var accepted = 0
        var refused = 0
        for _ in 0..<2_000 {
            let document = Array(value(0).utf8)
            #expect(ours(document) == foundation(document), "\(String(decoding: document, as: UTF8.self))")
            #expect(ours(document) != nil)
            var damaged = document
            guard !damaged.isEmpty else { continue }
            let at = Int.random(in: 0..<damaged.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: damaged[at] = Array(#"{}[]",:"\ 0eE.-+tfnu"#.utf8).randomElement(using: &random)!
            case 1: damaged.remove(at: at)
            default: damaged.removeSubrange(at...)
            }
            let expected = foundation(damaged)
            #expect(ours(damaged) == expected, "\(String(decoding: damaged, as: UTF8.self))")
            if expected == nil { refused += 1 } else { accepted += 1 }
        }
        // The damage exercised both outcomes.
        #expect(refused > 500)
        #expect(accepted > 100)
    }
}
