import CLibPQ

/// The rows a statement returned. It owns libpq's result (freed when the last row referencing it is
/// gone), so reading a column copies only what the requested Swift value needs.
public struct PostgresResult: RandomAccessCollection, Sendable {
    let storage: ResultStorage

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.rowCount }
    public subscript(position: Int) -> PostgresRow { PostgresRow(storage: storage, row: position) }

    /// Column names in order.
    public var columns: [String] { storage.columnNames }
    /// Rows inserted, updated, deleted or copied by the statement (`INSERT 0 5` → 5), 0 when none.
    public var affectedRows: Int { storage.affectedRows }
    /// The command tag, e.g. `INSERT 0 5`.
    public var commandTag: String { storage.commandTag }
}

/// One row of a `PostgresResult`. Columns are found by index or by exact (case-sensitive) name; when
/// two columns share a name, the name finds the first.
public struct PostgresRow: Sendable {
    let storage: ResultStorage
    let row: Int

    public var columns: [String] { storage.columnNames }

    /// Decodes a column as `T`. NULL decodes only into an Optional; anything else that does not fit is a
    /// `PostgresError` of kind `.decoding` naming the column, the Swift type and the PostgreSQL type.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try decode(at: try storage.index(of: column), as: type)
    }

    public func decode<T: PostgresDecodable>(at column: Int, as type: T.Type = T.self) throws -> T {
        guard column >= 0, column < storage.columnCount else {
            throw PostgresError(
                kind: .decoding, message: "column index \(column) is out of range (\(storage.columnCount) columns)")
        }
        let cell = storage.cell(row: row, column: column)
        if cell.isNull { return try T.decodeNull(cell) }
        return try T.decode(cell)
    }

    public func isNull(_ column: String) throws -> Bool {
        storage.cell(row: row, column: try storage.index(of: column)).isNull
    }
}

/// libpq's result, kept alive while rows refer to it. A `PGresult` is immutable once returned, so
/// reading it from several threads is safe.
final class ResultStorage: @unchecked Sendable {
    private let result: OpaquePointer
    let rowCount: Int
    let columnCount: Int
    let columnNames: [String]
    let columnTypes: [PostgresType]
    private let columnIndex: [String: Int]

    init(_ result: OpaquePointer) {
        self.result = result
        rowCount = Int(PQntuples(result))
        columnCount = Int(PQnfields(result))
        var names: [String] = []
        var types: [PostgresType] = []
        var index: [String: Int] = [:]
        for column in 0..<columnCount {
            let name = String(cString: PQfname(result, Int32(column)))
            names.append(name)
            types.append(PostgresType(oid: PQftype(result, Int32(column))))
            if index[name] == nil { index[name] = column }
        }
        columnNames = names
        columnTypes = types
        columnIndex = index
    }

    deinit { PQclear(result) }

    var commandTag: String { String(cString: PQcmdStatus(result)) }
    var affectedRows: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    func index(of column: String) throws -> Int {
        guard let index = columnIndex[column] else {
            throw PostgresError(
                kind: .decoding,
                message: "no column named '\(column)' in the result (columns: \(columnNames.joined(separator: ", ")))")
        }
        return index
    }

    func cell(row: Int, column: Int) -> PostgresCell {
        let r = Int32(row)
        let c = Int32(column)
        let isNull = PQgetisnull(result, r, c) != 0
        let bytes =
            isNull
            ? UnsafeRawBufferPointer(start: nil, count: 0)
            : UnsafeRawBufferPointer(start: PQgetvalue(result, r, c), count: Int(PQgetlength(result, r, c)))
        return PostgresCell(
            column: columnNames[column], type: columnTypes[column], isNull: isNull, storage: self, rawBytes: bytes)
    }
}
