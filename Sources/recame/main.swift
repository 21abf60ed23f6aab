import Foundation

setvbuf(stdout, nil, _IOLBF, 0)

let commands: [any Command.Type] = [
    BrokerCommand.self,
    MigrateCommand.self,
    PublishCommand.self,
    WorkerCommand.self,
    ModelCommand.self,
    PredictCommand.self,
    TrainCommand.self,
    EvaluateCommand.self,
    DistillCommand.self,
    ResultsCommand.self,
    StatusCommand.self,
    DemoCommand.self,
]

func printStandardError(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

func overview() -> String {
    let width = commands.map { $0.name.count }.max() ?? 0
    let lines = commands.map { "  " + $0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.summary }
    return """
        recame: long-tailed defect classification (ReCAME-Net) behind Kafka and PostgreSQL

        usage: recame COMMAND [options]     recame COMMAND --help for its flags

        \(lines.joined(separator: "\n"))

        PostgreSQL: --database-url, else DATABASE_URL, else libpq's PG* variables.
        Kafka: --bootstrap, else RECAME_BOOTSTRAP; -X key=value passes any librdkafka property.
        """
}

let argv = Array(CommandLine.arguments.dropFirst())
guard let name = argv.first, !["-h", "--help", "help"].contains(name) else {
    print(overview())
    exit(argv.isEmpty ? 2 : 0)
}
guard let command = commands.first(where: { $0.name == name }) else {
    printStandardError("recame: unknown command '\(name)'\n\n" + overview())
    exit(2)
}
do {
    let arguments = try Arguments(Array(argv.dropFirst()), booleanFlags: command.booleanFlags)
    if arguments.wantsHelp {
        print(command.usage)
        exit(0)
    }
    exit(try command.run(arguments))
} catch let error as UsageError {
    printStandardError("recame \(name): \(error.description)\n(see recame \(name) --help)")
    exit(2)
} catch {
    printStandardError("recame \(name): \(error)")
    exit(1)
}
