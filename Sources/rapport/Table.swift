import Foundation

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A column of a human table: a title and a width; the one flexible column takes what is left.
struct Column {
    var title: String
    var width: Int
    var flexible = false
}

/// Prints rows as a table that fits the terminal (80 columns when output is not a terminal),
/// cutting long values with an ellipsis.
struct Table {
    var columns: [Column]

    /// The terminal's width, or 80.
    static var width: Int {
        var size = winsize()
        if isatty(STDOUT_FILENO) == 1, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 40 {
            return Int(size.ws_col)
        }
        return 80
    }

    func render(_ rows: [[String]], width total: Int = Table.width) -> String {
        let fixed = columns.filter { !$0.flexible }.map(\.width).reduce(0, +) + columns.count - 1
        let widths = columns.map { $0.flexible ? max(8, total - fixed) : $0.width }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).enumerated().map { index, pair in
                index == widths.count - 1 ? cut(pair.0, pair.1) : fit(pair.0, pair.1)
            }.joined(separator: " ")
        }
        return ([line(columns.map(\.title))] + rows.map(line)).joined(separator: "\n")
    }
}

/// Fits text into `width` columns, padding or cutting with an ellipsis.
func fit(_ text: String, _ width: Int) -> String {
    // Printable ASCII that fits (ids, times, rules): one byte per column, only padding to add.
    let utf8 = text.utf8
    if utf8.count <= width, !utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F }) {
        return utf8.count == width ? text : text + String(repeating: " ", count: width - utf8.count)
    }
    let cut = cut(text, width)
    return cut.count < width ? cut.padding(toLength: width, withPad: " ", startingAt: 0) : cut
}

/// Cuts text to at most `width` characters, marking a cut with an ellipsis; line breaks become spaces.
func cut(_ text: String, _ width: Int) -> String {
    let flat = text.replacingOccurrences(of: "\n", with: " ")
    if flat.count <= width { return flat }
    return String(flat.prefix(max(width - 1, 0))) + "…"
}

/// RFC 4180 CSV: fields with commas, quotes or line breaks are quoted.
func csvText(header: [String], rows: [[String]]) -> String {
    func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return ([header] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n")
}
