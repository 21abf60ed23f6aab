enum DemoCommand: Command {
    static let name = "demo"
    static let summary = "run the whole pipeline end to end on embedded defaults"
    static let usage = "recame demo: not built yet"
    static func run(_ arguments: Arguments) throws -> Int32 {
        throw NotBuiltYet(command: name)
    }
}
