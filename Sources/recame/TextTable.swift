/// Rows printed as aligned columns for terminals; numbers right-aligned, text left-aligned.
struct TextTable: CustomStringConvertible {
    let header: [String]
    let rows: [[String]]

    var description: String {
        let widths = header.indices.map { column in
            ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
        }
        func isNumeric(_ text: String) -> Bool {
            !text.isEmpty && text.allSatisfy { $0.isNumber || ".-%, MBk".contains($0) } && text.first != " "
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return isNumeric(cell) ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        let head = header.allSatisfy(\.isEmpty) ? [] : [line(header), rule]
        return (head + rows.map(line)).joined(separator: "\n")
    }
}
