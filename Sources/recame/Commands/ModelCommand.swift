enum ModelCommand: Command {
    static let name = "model"
    static let summary = "register, list and activate model versions"
    static let usage = "recame model: not built yet"
    static func run(_ arguments: Arguments) throws -> Int32 {
        throw NotBuiltYet(command: name)
    }
}
