enum ResultsCommand: Command {
    static let name = "results"
    static let summary = "print a batch's summary"
    static let usage = "recame results: not built yet"
    static func run(_ arguments: Arguments) throws -> Int32 {
        throw NotBuiltYet(command: name)
    }
}
