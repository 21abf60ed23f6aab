import Foundation

/// One schema change: a file `NNNN_name.sql` (version NNNN, at least four digits) holding SQL statements
/// that run together in one transaction.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let fileName: String
    public let url: URL
    public let sql: String
    /// SHA-256 of the file's bytes, hex: an applied migration whose file changes is refused.
    public let checksum: String

    /// Reads every `*.sql` file in `directory`, sorted by version. Names that do not follow
    /// `NNNN_name.sql`, versions or names used twice, unreadable, empty or non-UTF-8 files are errors naming the
    /// file. Other files (a README) are ignored.
    public static func load(from directory: URL) throws -> [Migration] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else { throw MigrationError("migrations folder \(directory.path) does not exist") }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        var migrations: [Migration] = []
        for fileName in names.sorted() where fileName.hasSuffix(".sql") {
            let url = directory.appendingPathComponent(fileName)
            guard let (version, name) = parse(fileName) else {
                throw MigrationError(
                    "\(url.path): a migration file must be named NNNN_name.sql (a version of at least four digits, "
                        + "above 0, then letters, digits, '_' or '-')")
            }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw MigrationError("\(url.path) and \(clash.fileName) both have version \(version)")
            }
            if let clash = migrations.first(where: { $0.name == name }) {
                throw MigrationError("\(url.path) and \(clash.fileName) have the same name '\(name)'")
            }
            let bytes: Data
            do {
                bytes = try Data(contentsOf: url)
            } catch {
                throw MigrationError("\(url.path) cannot be read: \(error.localizedDescription)")
            }
            guard let sql = String(data: bytes, encoding: .utf8) else {
                throw MigrationError("\(url.path) is not valid UTF-8")
            }
            guard sql.contains(where: { !$0.isWhitespace }) else { throw MigrationError("\(url.path) is empty") }
            migrations.append(
                Migration(
                    version: version, name: name, fileName: fileName, url: url, sql: sql,
                    checksum: SHA256.hexDigest(bytes)))
        }
        return migrations.sorted { $0.version < $1.version }
    }

    static func parse(_ fileName: String) -> (version: Int, name: String)? {
        let stem = fileName.dropLast(".sql".count)
        guard let underscore = stem.firstIndex(of: "_") else { return nil }
        let digits = stem[..<underscore]
        let name = stem[stem.index(after: underscore)...]
        guard digits.count >= 4, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let version = Int(digits), version > 0, !name.isEmpty,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
        else { return nil }
        return (version, String(name))
    }
}

/// Why migrations were refused or failed; always names the file concerned.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
