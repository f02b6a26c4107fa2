import Foundation
import RapportCore
import Testing

@Suite struct UnsubscribeTokenTests {
    let secret = Array("0123456789abcdef0123456789abcdef".utf8)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: ["c-101", "émile/ü+=?&.", String(repeating: "x", count: 200)])
    func aSignedTokenVerifiesAndCarriesItsFields(contactID: String) throws {
        let token = UnsubscribeToken(contactID: contactID, expires: now.addingTimeInterval(86_400))
        let text = token.signed(with: secret)
        #expect(text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }, "\(text)")
        let verified = try UnsubscribeToken(verifying: text, secret: secret, now: now)
        #expect(verified.contactID == contactID)
        #expect(verified.scope == .promotions)
        #expect(verified.expires == now.addingTimeInterval(86_400))
    }

    @Test func everyAlteredCharacterIsRefused() {
        let text = UnsubscribeToken(contactID: "c-101", expires: now.addingTimeInterval(3_600)).signed(with: secret)
        var accepted: [String] = []
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for index in text.indices where text[index] != "." {
            // Every other character in that place, including the ones that differ only in bits
            // that base64 decoders often ignore at the end of the text.
            for replacement in alphabet where replacement != text[index] {
                var altered = text
                altered.replaceSubrange(index...index, with: String(replacement))
                if (try? UnsubscribeToken(verifying: altered, secret: secret, now: now)) != nil {
                    accepted.append(altered)
                }
            }
        }
        #expect(accepted.isEmpty, "altered tokens accepted: \(accepted)")
    }

    @Test func refusalsSayWhy() {
        let token = UnsubscribeToken(contactID: "c-101", expires: now)
        let text = token.signed(with: secret)
        #expect(throws: UnsubscribeTokenError.forged) {
            try UnsubscribeToken(verifying: text, secret: Array("another-secret-another-secret-xx".utf8), now: now)
        }
        #expect(throws: UnsubscribeTokenError.expired(now)) {
            try UnsubscribeToken(verifying: text, secret: secret, now: now)
        }
        #expect(throws: Never.self) {
            try UnsubscribeToken(verifying: text, secret: secret, now: now.addingTimeInterval(-1))
        }
        for garbage in ["", "v1", "v1.a.b.c", "v2.YzE.promotions.1.AAAA", "v1.YzE.promotions.1.!!!!", text + ".x"] {
            #expect(throws: UnsubscribeTokenError.malformed, "\(garbage)") {
                try UnsubscribeToken(verifying: garbage, secret: secret, now: now)
            }
        }
    }
}
