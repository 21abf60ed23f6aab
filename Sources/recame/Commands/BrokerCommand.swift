enum BrokerCommand: Command {
    static let name = "broker"
    static let summary = "run an embedded Kafka broker (librdkafka mock cluster) in the foreground"
    static let usage = "recame broker: not built yet"
    static func run(_ arguments: Arguments) throws -> Int32 {
        throw NotBuiltYet(command: name)
    }
}
