import Foundation
import RapportCore
import RapportStore
import Testing

/// The planning state's tables by message id hold ids as numbers and SHA-256 digests as
/// bytes, and give back exactly the texts they were given, whatever they are.
@Suite struct ByMessageIDTests {
    @Test func idsOfSixteenLowercaseHexDigitsAreNumbersAndOthersStayText() {
        #expect(MessageKey.idNumber(of: "0123456789abcdef") == 0x0123_4567_89ab_cdef)
        #expect(MessageKey.idNumber(of: "ffffffffffffffff") == .max)
        for other in ["0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0", "", "0123456789abcdeg"] {
            #expect(MessageKey.idNumber(of: other) == nil, "\(other)")
        }
        let key = MessageKey(contactID: "c-1", rule: RuleID(kind: .checkin, subject: nil), occurrence: "2026-12-01")
        #expect(MessageKey.idNumber(of: key.id) == key.idNumber)
        #expect(HistoryEntry(id: key.id, key: key, state: .scheduled, dueAt: .now).id == key.id)

        var table = ByMessageID<Int>()
        table["0123456789abcdef"] = 1
        table["0123456789ABCDEF"] = 2
        table["not-an-id"] = 3
        #expect(table.count == 3)
        #expect(table["0123456789abcdef"] == 1 && table["0123456789ABCDEF"] == 2 && table["not-an-id"] == 3)
        #expect(table["0123456789abcdee"] == nil)
        table["0123456789abcdef"] = nil
        #expect(table.count == 2 && table["0123456789abcdef"] == nil)
    }

    @Test func digestsGiveBackTheirText() {
        let sha = String(repeating: "0123456789abcdef", count: 4)
        for text in [sha, "h1", "", sha.uppercased(), String(sha.dropLast()), sha + "0"] {
            #expect(CompactDigest(text).text == text)
        }
        #expect(CompactDigest(sha) != CompactDigest(String(sha.reversed())))
    }
}
