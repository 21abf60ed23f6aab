enum MigrateCommand: Command {
    static let name = "migrate"
    static let summary = "apply migrations/ to PostgreSQL (idempotent)"
    static let usage = "recame migrate: not built yet"
    static func run(_ arguments: Arguments) throws -> Int32 {
        throw NotBuiltYet(command: name)
    }
}
