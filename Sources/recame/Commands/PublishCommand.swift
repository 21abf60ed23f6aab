enum PublishCommand: Command {
    static let name = "publish"
    static let summary = "publish a wafer batch of image references to Kafka"
    static let usage = "recame publish: not built yet"
    static func run(_ arguments: Arguments) throws -> Int32 {
        throw NotBuiltYet(command: name)
    }
}
