enum EvaluateCommand: Command {
    static let name = "evaluate"
    static let summary = "evaluate a checkpoint: accuracy, macro-F1, shot groups, confusion"
    static let usage = "recame evaluate: not built yet"
    static func run(_ arguments: Arguments) throws -> Int32 {
        throw NotBuiltYet(command: name)
    }
}
