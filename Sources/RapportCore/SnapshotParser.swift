import Foundation

/// Reads relationship data (JSON array, JSON Lines or CSV) into a validated ``Snapshot``.
///
/// Parsing is pure: it takes the bytes and the file name, and either returns a snapshot or
/// throws ``DataErrors`` listing every problem with its line and field.
public struct SnapshotParser: Sendable {
    /// The format of a data file, chosen by its extension.
    public enum Format: String, Sendable {
        case json
        case jsonLines
        case csv

        /// The format for a file name, or `nil` for an unknown extension.
        public init?(fileName: String) {
            switch (fileName as NSString).pathExtension.lowercased() {
            case "json": self = .json
            case "jsonl", "ndjson": self = .jsonLines
            case "csv": self = .csv
            default: return nil
            }
        }
    }

    /// The time zone used for contacts whose record has none; `nil` makes `timezone` required.
    public var defaultTimeZone: TimeZone?

    public init(defaultTimeZone: TimeZone? = nil) {
        self.defaultTimeZone = defaultTimeZone
    }

    /// Parses and validates a whole file.
    public func parse(_ bytes: [UInt8], fileName: String) throws(DataErrors) -> Snapshot {
        guard let format = Format(fileName: fileName) else {
            throw DataErrors([
                DataError(
                    file: fileName, line: 1, field: nil,
                    problem: "unknown data format; use .json, .jsonl or .csv")
            ])
        }
        let records: [(line: Int, fields: [String: RawValue])]
        do {
            switch format {
            case .json: records = try Self.jsonArrayRecords(bytes, fileName: fileName)
            case .jsonLines: records = try Self.jsonLinesRecords(bytes, fileName: fileName)
            case .csv: records = try Self.csvRecords(bytes, fileName: fileName)
            }
        } catch {
            throw DataErrors([error])
        }
        var validator = ContactValidator(file: fileName, defaultTimeZone: defaultTimeZone)
        var contacts: [Contact] = []
        contacts.reserveCapacity(records.count)
        var seen: [String: Int] = [:]
        var errors: [DataError] = []
        for record in records {
            guard let contact = validator.contact(from: record.fields, line: record.line) else { continue }
            if let first = seen[contact.id] {
                errors.append(
                    DataError(
                        file: fileName, line: record.line, field: "id",
                        problem: "duplicate id '\(contact.id)' (first on line \(first))"))
                continue
            }
            seen[contact.id] = record.line
            contacts.append(contact)
        }
        errors.insert(contentsOf: validator.errors, at: 0)
        if !errors.isEmpty {
            throw DataErrors(errors.sorted { ($0.line, $0.field ?? "") < ($1.line, $1.field ?? "") })
        }
        return Snapshot(contacts: contacts, source: fileName)
    }

    // MARK: - Formats

    static func csvRecords(_ bytes: [UInt8], fileName: String) throws(DataError) -> [(
        line: Int, fields: [String: RawValue]
    )] {
        var reader = CSVReader(bytes)
        guard let header = reader.next() else {
            if let error = reader.error {
                throw DataError(file: fileName, line: error.line, field: nil, problem: error.problem)
            }
            return []
        }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var records: [(line: Int, fields: [String: RawValue])] = []
        while let row = reader.next() {
            if row.fields.count == 1 && row.fields[0].isEmpty { continue }  // blank line
            guard row.fields.count == columns.count else {
                throw DataError(
                    file: fileName, line: row.line, field: nil,
                    problem: "row has \(row.fields.count) fields, the header has \(columns.count)")
            }
            var fields: [String: RawValue] = [:]
            for (column, value) in zip(columns, row.fields) where !value.isEmpty {
                fields[column] = .string(value)
            }
            records.append((row.line, fields))
        }
        if let error = reader.error {
            throw DataError(file: fileName, line: error.line, field: nil, problem: error.problem)
        }
        return records
    }

    static func jsonLinesRecords(_ bytes: [UInt8], fileName: String) throws(DataError) -> [(
        line: Int, fields: [String: RawValue]
    )] {
        var records: [(line: Int, fields: [String: RawValue])] = []
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            records.append((lineNumber, try decodeObject(line, fileName: fileName, line: lineNumber)))
        }
        return records
    }

    static func jsonArrayRecords(_ bytes: [UInt8], fileName: String) throws(DataError) -> [(
        line: Int, fields: [String: RawValue]
    )] {
        let elements = try JSONArraySplitter.elements(of: bytes, fileName: fileName)
        var records: [(line: Int, fields: [String: RawValue])] = []
        records.reserveCapacity(elements.count)
        for element in elements {
            records.append(
                (element.line, try decodeObject(bytes[element.range], fileName: fileName, line: element.line)))
        }
        return records
    }

    static func decodeObject(_ bytes: some Collection<UInt8>, fileName: String, line: Int) throws(DataError)
        -> [String: RawValue]
    {
        let value: RawValue
        do {
            value = try JSONDecoder().decode(RawValue.self, from: Data(bytes))
        } catch {
            throw DataError(file: fileName, line: line, field: nil, problem: "not valid JSON")
        }
        guard case .object(let fields) = value else {
            throw DataError(
                file: fileName, line: line, field: nil, problem: "expected an object, found \(value.typeName)")
        }
        return fields.filter { $0.value != .null }
    }
}
