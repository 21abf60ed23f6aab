enum DistillCommand: Command {
    static let name = "distill"
    static let summary = "distill the ensemble into a single-backbone student"
    static let usage = "recame distill: not built yet"
    static func run(_ arguments: Arguments) throws -> Int32 {
        throw NotBuiltYet(command: name)
    }
}
