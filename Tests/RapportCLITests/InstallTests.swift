import Foundation
import Testing

extension RapportCLITests {
    /// `make install` / `make uninstall` into a DESTDIR.
    @Suite struct Install {
        @Test func installAndUninstallIntoDestdir() throws {
            let scratch = try Scratch("install")
            let root = scratch.file("root")
            let binary = try Paths.rapport()
            let install = try make(["install", "DESTDIR=\(root)", "BIN=\(binary)", "WITH_MAN=no"])
            try #require(install.status == 0, "\(install)")

            let expected = [
                "usr/local/bin/rapport", "usr/local/lib/systemd/system/rapport.service",
                "usr/local/lib/sysusers.d/rapport.conf", "usr/local/lib/tmpfiles.d/rapport.conf",
                "etc/rapport/rapport.toml", "usr/local/share/rapport/rapport.toml.default",
                "usr/local/share/rapport/templates/client-checkin.text.mustache",
                "usr/local/share/rapport/templates/partials/signature.text.mustache",
                "usr/local/share/doc/rapport/README.md",
                "usr/local/share/bash-completion/completions/rapport", "usr/local/share/zsh/site-functions/_rapport",
                "usr/local/share/fish/vendor_completions.d/rapport.fish",
            ]
            for file in expected {
                #expect(FileManager.default.fileExists(atPath: root + "/" + file), "missing \(file)")
            }
            #expect(FileManager.default.isExecutableFile(atPath: root + "/usr/local/bin/rapport"))

            let bash = scratch.read("root/usr/local/share/bash-completion/completions/rapport")
            #expect(bash.contains("queue") && bash.contains("--all-matching"), "bash completion: \(bash.prefix(300))")

            let unit = try String(
                contentsOfFile: root + "/usr/local/lib/systemd/system/rapport.service", encoding: .utf8)
            #expect(unit.contains("ExecStart=/usr/local/bin/rapport run --config /etc/rapport/rapport.toml"))
            #expect(unit.contains("Type=notify"))
            let config = try String(contentsOfFile: root + "/etc/rapport/rapport.toml", encoding: .utf8)
            #expect(config.contains("path = \"/usr/local/share/rapport/templates\""), "\(config)")
            #expect(config.contains("path = \"/var/lib/rapport/rapport.sqlite\""), "\(config)")

            // The installed configuration is valid but for the data file, which the operator adds.
            let staged = config.replacingOccurrences(
                of: "/usr/local/share/rapport/templates", with: root + "/usr/local/share/rapport/templates"
            ).replacingOccurrences(of: "/var/lib/rapport", with: scratch.file("state"))
            try FileManager.default.createDirectory(atPath: scratch.file("state"), withIntermediateDirectories: true)
            try scratch.write("state/contacts.json", "[]")
            let check = try rapport(["check", "--config", try scratch.write("installed.toml", staged)])
            #expect(check.status == 0, "the installed configuration does not check: \(check)")

            // An operator's configuration survives a second install.
            try scratch.write("root/etc/rapport/rapport.toml", config + "\n# mine\n")
            #expect(try make(["install", "DESTDIR=\(root)", "BIN=\(binary)", "WITH_MAN=no"]).status == 0)
            #expect(scratch.read("root/etc/rapport/rapport.toml").hasSuffix("# mine\n"))

            let uninstall = try make(["uninstall", "DESTDIR=\(root)"])
            try #require(uninstall.status == 0, "\(uninstall)")
            let left = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }.filter {
                var directory: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: root + "/" + $0, isDirectory: &directory)
                return exists && !directory.boolValue
            }
            #expect(left == ["etc/rapport/rapport.toml"], "left after uninstall: \(left ?? [])")
        }

        func make(_ arguments: [String]) throws -> CommandResult {
            let child = try Child(
                "/usr/bin/env", ["make", "-s", "-C", Paths.repository.path] + arguments,
                environment: childEnvironment([:]))
            guard child.wait(timeout: .seconds(60)) else { throw Failure("make \(arguments) did not finish") }
            return CommandResult(status: child.exitStatus ?? -1, stdout: child.stdout, stderr: child.stderr)
        }
    }
}
