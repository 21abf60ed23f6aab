import Foundation

/// The labels CSV that `pipeline/data elpv` writes: `path,defect_probability,cell_type,class`, with
/// classes p000/p033/p067/p100 for the four defect-probability grades, or with `byCellType` the
/// grade crossed with the cell type (p000_mono … p100_poly): the two kinds of cell look different
/// enough that some users want them apart, and the split doubles the number of tail classes.
struct ELPVLabels {
    let classNames: [String]
    let items: [FileImageLoader.Item]

    init(root: String, byCellType: Bool = false) throws {
        let path = "\(root)/labels.csv"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DatasetError.unreadable(path: path, reason: "missing; run `pipeline/data elpv` to fetch ELPV")
        }
        var rows = [(String, String)]()
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() where number > 0 {
            let fields = line.split(separator: ",").map(String.init)
            guard fields.count == 4 else {
                throw DatasetError.malformed(path: path, reason: "line \(number + 1): expected 4 fields")
            }
            if byCellType {
                let cell = fields[2].trimmingCharacters(in: .whitespaces)
                guard ["mono", "poly"].contains(cell) else {
                    throw DatasetError.malformed(
                        path: path, reason: "line \(number + 1): cell type '\(cell)' is neither mono nor poly")
                }
                rows.append((fields[0], "\(fields[3])_\(cell)"))
            } else {
                rows.append((fields[0], fields[3]))
            }
        }
        guard !rows.isEmpty else { throw DatasetError.empty(path: path) }
        classNames = Set(rows.map(\.1)).sorted()
        let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        items = rows.map { FileImageLoader.Item(path: "\(root)/\($0.0)", label: index[$0.1]!, identifier: $0.0) }
    }
}
