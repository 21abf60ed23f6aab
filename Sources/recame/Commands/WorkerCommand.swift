enum WorkerCommand: Command {
    static let name = "worker"
    static let summary = "consume images, classify them and write predictions to PostgreSQL"
    static let usage = "recame worker: not built yet"
    static func run(_ arguments: Arguments) throws -> Int32 {
        throw NotBuiltYet(command: name)
    }
}
