import Crypto
import Foundation
import Mustache
import RapportCore

/// A problem in a template, located by file and line.
public struct TemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var problem: String

    public var description: String {
        if let line { return "\(file):\(line): \(problem)" }
        return "\(file): \(problem)"
    }
}

/// Every problem found in the templates folder.
public struct TemplateErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [TemplateError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// The Mustache templates of `Templates/`, loaded and checked once.
///
/// A message template `name` is three files: `name.subject.mustache`, `name.text.mustache` and
/// (optionally) `name.html.mustache`. Partials live in `partials/` and are included as
/// `{{> partials/signature.text}}`. Subject and text templates are rendered as plain text
/// (nothing is HTML-escaped); HTML templates escape every variable.
public struct TemplateLibrary: Sendable {
    let directory: String
    let library: MustacheLibrary
    /// Template texts by name (`client-checkin.text`, `partials/signature.html`).
    let sources: [String: String]
    /// A digest of every template, so that an edited template re-renders open messages.
    public let fingerprint: String
    /// See ``variant(of:languages:)``.
    private let localizedStems: [String: String]

    /// Loads every `.mustache` file below `directory`.
    public init(directory: String) throws(TemplateErrors) {
        self.directory = directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TemplateErrors(errors: [TemplateError(file: directory, problem: "templates folder not found")])
        }
        var sources: [String: String] = [:]
        var library = MustacheLibrary()
        var errors: [TemplateError] = []
        let paths = (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).sorted()
        for path in paths where path.hasSuffix(".mustache") {
            let name = String(path.dropLast(".mustache".count))
            let file = (directory as NSString).appendingPathComponent(path)
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                errors.append(TemplateError(file: file, problem: "cannot read the file"))
                continue
            }
            sources[name] = text
            let plain = name.hasSuffix(".text") || name.hasSuffix(".subject")
            do {
                try library.register((plain ? "{{% CONTENT_TYPE: TEXT}}" : "") + text, named: name)
            } catch {
                errors.append(TemplateError(file: file, problem: "Mustache syntax: \(error)"))
            }
        }
        if !errors.isEmpty { throw TemplateErrors(errors: errors) }
        self.sources = sources
        self.library = library
        localizedStems = Self.localizedStems(in: sources)
        var hasher = SHA256()
        for name in sources.keys.sorted() {
            hasher.update(data: Array(name.utf8) + [0] + Array(sources[name]!.utf8) + [0])
        }
        fingerprint = hexDigits(hasher.finalize())
    }

    func file(of name: String) -> String {
        (directory as NSString).appendingPathComponent(name + ".mustache")
    }

    /// How many template files were loaded.
    public var count: Int { sources.count }

    /// Whether a template (e.g. `promotion.html`) exists.
    public func contains(_ name: String) -> Bool { sources[name] != nil }

    /// The message template to use for `name` in the first of `languages` (most specific first,
    /// lower-cased) that has one: `promotion.pt-BR` (its `.subject` and `.text` files), then
    /// `promotion.pt`, then `promotion`. Language tags in file names match in any case.
    public func variant(of name: String, languages: [String]) -> String {
        for language in languages {
            if let stem = localizedStems["\(name).\(language)".lowercased()] { return stem }
        }
        return name
    }

    /// Localized message templates (`name.lang` with both `.subject` and `.text`), by their
    /// lower-cased stem.
    private static func localizedStems(in sources: [String: String]) -> [String: String] {
        var stems: [String: String] = [:]
        for key in sources.keys where key.hasSuffix(".subject") && !key.hasPrefix("partials/") {
            let stem = String(key.dropLast(".subject".count))
            if stem.contains("."), sources["\(stem).text"] != nil { stems[stem.lowercased()] = stem }
        }
        return stems
    }

    /// Checks that the message templates the configuration names exist (`uses` pairs the key
    /// naming a template with its name) and that every variable and partial every template uses
    /// exists in `sample`, a context in which every optional value is present.
    func validate(uses: [(key: String, name: String)], configFile: String, sample: [String: ContextValue])
        -> [TemplateError]
    {
        var errors: [TemplateError] = []
        var seen: Set<String> = []
        for use in uses where seen.insert(use.name).inserted {
            let missing = ["subject", "text"].filter { sources["\(use.name).\($0)"] == nil }
            if missing.count == 2 {
                errors.append(
                    TemplateError(
                        file: configFile, line: nil,
                        problem: "\(use.key): unknown template '\(use.name)' (no \(use.name).subject.mustache and "
                            + "\(use.name).text.mustache in \(directory))"))
            } else {
                for part in missing {
                    errors.append(
                        TemplateError(
                            file: file(of: "\(use.name).\(part)"), problem: "template '\(use.name)' needs this file"))
                }
            }
        }
        // A language variant (`promotion.fr.subject`) is a message template of its own: it
        // needs both its subject and its text.
        let stems = Set(
            sources.keys.filter { !$0.hasPrefix("partials/") }.compactMap { key -> String? in
                let parts = key.split(separator: ".")
                guard parts.count >= 3, ["subject", "text", "html"].contains(parts.last!) else { return nil }
                return parts.dropLast().joined(separator: ".")
            })
        for stem in stems.sorted() {
            for part in ["subject", "text"] where sources["\(stem).\(part)"] == nil {
                errors.append(
                    TemplateError(file: file(of: "\(stem).\(part)"), problem: "template '\(stem)' needs this file"))
            }
        }
        for name in sources.keys.sorted() {
            var checker = TemplateChecker(library: self, root: .object(sample))
            errors += checker.check(name)
        }
        return errors
    }

    func render(_ name: String, _ context: [String: ContextValue]) -> String? {
        guard sources[name] != nil else { return nil }
        return library.render(MustacheObject(fields: context), withTemplate: name)
    }
}

/// Walks a template's tags with a stack of scopes and reports names that resolve nowhere.
struct TemplateChecker {
    let library: TemplateLibrary
    let root: ContextValue
    private var errors: [TemplateError] = []

    init(library: TemplateLibrary, root: ContextValue) {
        self.library = library
        self.root = root
    }

    mutating func check(_ name: String) -> [TemplateError] {
        walk(name, scopes: [root], depth: 0)
        return errors
    }

    private mutating func walk(_ name: String, scopes initial: [ContextValue], depth: Int) {
        guard let text = library.sources[name], depth < 10 else { return }
        let file = library.file(of: name)
        var scopes = initial
        var open: [String] = []
        for tag in Self.tags(in: text) {
            let kind = tag.body.first ?? " "
            let rest = String(tag.body.dropFirst()).trimmingCharacters(in: .whitespaces)
            switch kind {
            case "!", "%", "=":
                continue
            case "#", "^":
                let value = resolve(rest, in: scopes)
                if value == nil {
                    errors.append(TemplateError(file: file, line: tag.line, problem: "unknown variable '\(rest)'"))
                }
                open.append(rest)
                if kind == "#", let value {
                    if case .list(let items) = value {
                        scopes.append(items.first ?? .object([:]))
                    } else {
                        scopes.append(value)
                    }
                } else {
                    scopes.append(.object([:]))
                }
            case "/":
                guard open.last == rest else {
                    errors.append(
                        TemplateError(file: file, line: tag.line, problem: "'{{/\(rest)}}' closes nothing open"))
                    return
                }
                open.removeLast()
                scopes.removeLast()
            case ">":
                if library.sources[rest] == nil {
                    errors.append(TemplateError(file: file, line: tag.line, problem: "unknown partial '\(rest)'"))
                } else {
                    walk(rest, scopes: scopes, depth: depth + 1)
                }
            case "&", "{":
                let variable = rest.trimmingCharacters(in: CharacterSet(charactersIn: "} "))
                if resolve(variable, in: scopes) == nil {
                    errors.append(TemplateError(file: file, line: tag.line, problem: "unknown variable '\(variable)'"))
                }
            default:
                let variable = tag.body.trimmingCharacters(in: .whitespaces)
                if resolve(variable, in: scopes) == nil {
                    errors.append(TemplateError(file: file, line: tag.line, problem: "unknown variable '\(variable)'"))
                }
            }
        }
        if let unclosed = open.last {
            errors.append(TemplateError(file: file, line: nil, problem: "section '\(unclosed)' is never closed"))
        }
    }

    private func resolve(_ name: String, in scopes: [ContextValue]) -> ContextValue? {
        if name == "." { return scopes.last }
        let parts = name.split(separator: ".").map(String.init)
        guard let first = parts.first else { return nil }
        for scope in scopes.reversed() {
            guard case .object(let fields) = scope, var value = fields[first] else { continue }
            for part in parts.dropFirst() {
                guard case .object(let nested) = value, let next = nested[part] else { return nil }
                value = next
            }
            return value
        }
        return nil
    }

    /// The tags of a template with the line each starts on (default delimiters).
    static func tags(in text: String) -> [(body: String, line: Int)] {
        var result: [(body: String, line: Int)] = []
        var line = 1
        var index = text.startIndex
        while let open = text.range(of: "{{", range: index..<text.endIndex) {
            line += text[index..<open.lowerBound].filter { $0 == "\n" }.count
            let triple = text[open.upperBound...].hasPrefix("{")
            let closing = triple ? "}}}" : "}}"
            guard let close = text.range(of: closing, range: open.upperBound..<text.endIndex) else { break }
            let body = String(text[open.upperBound..<close.lowerBound])
            result.append((body, line))
            line += body.filter { $0 == "\n" }.count
            index = close.upperBound
        }
        return result
    }
}
