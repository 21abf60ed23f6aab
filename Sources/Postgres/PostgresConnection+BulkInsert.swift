import CLibPQ

/// Two ways to write many rows, for two jobs:
/// - `copyIn` streams rows with COPY FROM STDIN (text format): the fastest load, but all or nothing and
///   no ON CONFLICT, so for bulk loads into tables where duplicates are an error.
/// - `insert(into:columns:rows:suffix:)` builds multi-row INSERTs with bound parameters, chunked under
///   the 65,535-parameter limit, and takes an `ON CONFLICT …` clause: what idempotent writers (the
///   worker's predictions, replayed after a crash) need.
extension PostgresConnection {
    /// Loads `rows` into `table(columns)` with COPY; returns the number of rows copied. Every row must
    /// have one value per column. If a value cannot be encoded, the COPY is aborted and nothing is kept.
    @discardableResult
    public func copyIn<Rows: Sequence>(table: String, columns: [String], rows: Rows) throws -> Int
    where Rows.Element == [any PostgresEncodable] {
        guard !columns.isEmpty else {
            throw PostgresError(kind: .invalidParameter, message: "copyIn into \(table) needs at least one column")
        }
        let sql =
            "COPY \(try PostgresIdentifier.quoteQualified(table)) "
            + "(\(try columns.map(PostgresIdentifier.quote).joined(separator: ", "))) FROM STDIN"
        return try lock.withLock {
            let connection = try liveConnection()
            let start = PQexec(connection, sql)
            guard let start, PQresultStatus(start) == PGRES_COPY_IN else {
                _ = try check(start, sql: sql, connection: connection)
                throw PostgresError(kind: .protocolViolation, message: "COPY did not start", statement: sql)
            }
            PQclear(start)
            var encoder = CopyTextEncoder()
            var count = 0
            do {
                for row in rows {
                    guard row.count == columns.count else {
                        throw PostgresError(
                            kind: .invalidParameter,
                            message: "row \(count + 1) has \(row.count) values for \(columns.count) columns",
                            statement: sql)
                    }
                    for (index, value) in row.enumerated() {
                        do {
                            try encoder.append(try value.postgresValue(), first: index == 0)
                        } catch let error as PostgresError {
                            throw PostgresError(
                                kind: error.kind,
                                message: "row \(count + 1), column \(columns[index]): \(error.message)",
                                statement: sql)
                        }
                    }
                    encoder.endRow()
                    count += 1
                    if encoder.buffer.count >= 1 << 20 { try send(&encoder.buffer, connection: connection, sql: sql) }
                }
                try send(&encoder.buffer, connection: connection, sql: sql)
            } catch {
                _ = PQputCopyEnd(connection, "aborted by the client: \(error)")
                _ = finishCopy(connection, sql: sql)
                throw error
            }
            if PQputCopyEnd(connection, nil) != 1 {
                throw failure(nil, sql: sql, connection: connection)
            }
            switch finishCopy(connection, sql: sql) {
            case .success(let copied): return copied
            case .failure(let error): throw error
            }
        }
    }

    /// Inserts `rows` with multi-row `INSERT … VALUES ($1, …), (…) <suffix>` statements, as many rows per
    /// statement as the parameter limit allows; returns the number of rows inserted (rows skipped by
    /// `ON CONFLICT DO NOTHING` do not count). `suffix` is static SQL such as
    /// `ON CONFLICT (image_id, model_version) DO NOTHING`; values never go into it.
    /// Run it inside `transaction { }` to make all chunks one unit.
    @discardableResult
    public func insert<Rows: Sequence>(
        into table: String, columns: [String], rows: Rows, suffix: String = ""
    ) throws -> Int where Rows.Element == [any PostgresEncodable] {
        guard !columns.isEmpty else {
            throw PostgresError(kind: .invalidParameter, message: "insert into \(table) needs at least one column")
        }
        let head =
            "INSERT INTO \(try PostgresIdentifier.quoteQualified(table)) "
            + "(\(try columns.map(PostgresIdentifier.quote).joined(separator: ", "))) VALUES "
        let rowsPerStatement = max(1, min(1000, 65_535 / columns.count))
        var inserted = 0
        var pending: [any PostgresEncodable] = []
        var pendingRows = 0
        var rowNumber = 0

        func flush() throws {
            guard pendingRows > 0 else { return }
            var sql = head
            var parameter = 1
            for row in 0..<pendingRows {
                sql += row == 0 ? "(" : ", ("
                for column in 0..<columns.count {
                    sql += column == 0 ? "$\(parameter)" : ", $\(parameter)"
                    parameter += 1
                }
                sql += ")"
            }
            if !suffix.isEmpty { sql += " " + suffix }
            inserted += try execute(sql, parameters: pending)
            pending.removeAll(keepingCapacity: true)
            pendingRows = 0
        }

        for row in rows {
            rowNumber += 1
            guard row.count == columns.count else {
                throw PostgresError(
                    kind: .invalidParameter,
                    message: "row \(rowNumber) has \(row.count) values for \(columns.count) columns of \(table)")
            }
            pending.append(contentsOf: row)
            pendingRows += 1
            if pendingRows == rowsPerStatement { try flush() }
        }
        try flush()
        return inserted
    }

    private func send(_ buffer: inout [UInt8], connection: OpaquePointer, sql: String) throws {
        guard !buffer.isEmpty else { return }
        let status = buffer.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(connection, $0.baseAddress, Int32(bytes.count)) }
        }
        guard status == 1 else { throw failure(nil, sql: sql, connection: connection) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Collects the results that end a COPY: the row count, or the first error.
    private func finishCopy(_ connection: OpaquePointer, sql: String) -> Result<Int, PostgresError> {
        var outcome: Result<Int, PostgresError> = .success(0)
        while let result = PQgetResult(connection) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                if case .success = outcome { outcome = .success(Int(String(cString: PQcmdTuples(result))) ?? 0) }
            } else if case .success = outcome {
                outcome = .failure(failure(result, sql: sql, connection: connection))
            }
            PQclear(result)
        }
        return outcome
    }
}

/// COPY's text format: tab between columns, newline after rows, `\N` for NULL, and backslash escapes
/// for the characters that would otherwise end a value or a row.
struct CopyTextEncoder {
    var buffer: [UInt8] = []

    mutating func append(_ value: PostgresValue, first: Bool) throws {
        if !first { buffer.append(UInt8(ascii: "\t")) }
        guard let text = value.textForm else {
            buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
            return
        }
        for byte in text.utf8 {
            switch byte {
            case 0:
                throw PostgresError(kind: .invalidParameter, message: "contains a NUL character")
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            default: buffer.append(byte)
            }
        }
    }

    mutating func endRow() { buffer.append(UInt8(ascii: "\n")) }
}
