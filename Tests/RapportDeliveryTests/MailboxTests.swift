import RapportDelivery
import Testing

@Suite("Mailbox parsing")
struct MailboxTests {
    @Test(
        "valid forms",
        arguments: [
            ("zoe@example.com", nil, "zoe@example.com"),
            ("  zoe@example.com ", nil, "zoe@example.com"),
            ("<zoe@example.com>", nil, "zoe@example.com"),
            ("Zoë Ångström <zoe@example.com>", "Zoë Ångström", "zoe@example.com"),
            ("\"Doe, Jane\" <jane.doe+news@mail.example.org>", "Doe, Jane", "jane.doe+news@mail.example.org"),
            (#""A \"quoted\" name" <a@example.com>"#, #"A "quoted" name"#, "a@example.com"),
            ("\"\" <a@localhost>", nil, "a@localhost"),
        ] as [(String, String?, String)])
    func valid(_ text: String, _ name: String?, _ address: String) throws {
        let mailbox = try Mailbox(parsing: text)
        #expect(mailbox.name == name)
        #expect(mailbox.address == address)
        #expect(mailbox == Mailbox(name: name, address: address))
    }

    @Test(
        "invalid forms throw DeliveryConfigurationError",
        arguments: [
            "", "   ", "zoe", "Zoë <zoe@example.com", "Zoë zoe@example.com>", "Zoë <>", "a@b@example.com",
            "Zoë <zoe@exa mple.com>", "Zoë\r\n <zoe@example.com>", "zoe@example.com\nBcc: x@example.com",
            "\"Unterminated <zoe@example.com>", "Bad \"quote\" <zoe@example.com>", "zoë@example.com",
        ])
    func invalid(_ text: String) {
        #expect(throws: DeliveryConfigurationError.self) { try Mailbox(parsing: text) }
    }

    @Test("domain is the part after @")
    func domain() throws {
        #expect(try Mailbox(parsing: "Zoë <zoe@mail.example.com>").domain == "mail.example.com")
    }
}
