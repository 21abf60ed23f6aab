enum PredictCommand: Command {
    static let name = "predict"
    static let summary = "classify image files with a checkpoint"
    static let usage = "recame predict: not built yet"
    static func run(_ arguments: Arguments) throws -> Int32 {
        throw NotBuiltYet(command: name)
    }
}
