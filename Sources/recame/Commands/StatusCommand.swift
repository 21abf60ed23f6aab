enum StatusCommand: Command {
    static let name = "status"
    static let summary = "show live workers, lag and the active model"
    static let usage = "recame status: not built yet"
    static func run(_ arguments: Arguments) throws -> Int32 {
        throw NotBuiltYet(command: name)
    }
}
