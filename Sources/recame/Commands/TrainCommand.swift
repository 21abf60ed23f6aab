enum TrainCommand: Command {
    static let name = "train"
    static let summary = "train ReCAME-Net (or the CE baseline) on a data set"
    static let usage = "recame train: not built yet"
    static func run(_ arguments: Arguments) throws -> Int32 {
        throw NotBuiltYet(command: name)
    }
}
