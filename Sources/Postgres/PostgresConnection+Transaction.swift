import CLibPQ

extension PostgresConnection {
    public enum IsolationLevel: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws (the error is
    /// rethrown). Called inside another transaction it uses a savepoint, so the inner block rolls back
    /// alone. A COMMIT that the server turns into a rollback (because a statement failed and the error
    /// was caught inside `body`) is reported as an error, never as success.
    public func transaction<T>(
        isolation: IsolationLevel? = nil, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        try lock.withLock {
            if inTransaction {
                return try savepoint(body)
            }
            try execute(isolation.map { "BEGIN ISOLATION LEVEL \($0.rawValue)" } ?? "BEGIN")
            let value: T
            do {
                value = try body(self)
            } catch {
                rollbackQuietly()
                throw error
            }
            let result = try query("COMMIT")
            if result.commandTag == "ROLLBACK" {
                throw PostgresError(
                    kind: .server,
                    message: "the transaction was rolled back at COMMIT because a statement in it had failed",
                    sqlState: "25P02", statement: "COMMIT")
            }
            return value
        }
    }

    private func savepoint<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "recame_savepoint_\(savepointDepth)"
        try execute("SAVEPOINT \(name)")
        do {
            let value = try body(self)
            try execute("RELEASE SAVEPOINT \(name)")
            return value
        } catch {
            if isConnected {
                _ = try? execute("ROLLBACK TO SAVEPOINT \(name)")
                _ = try? execute("RELEASE SAVEPOINT \(name)")
            }
            throw error
        }
    }

    /// Rolls back if a transaction is open; a broken connection has already lost it.
    private func rollbackQuietly() {
        guard isConnected, inTransaction else { return }
        _ = try? execute("ROLLBACK")
    }
}
