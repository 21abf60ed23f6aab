/// Kafka's own rule for topic names, checked before a name reaches the broker so that a typo is
/// reported where it was made instead of as an obscure broker error.
enum TopicName {
    static func validate(_ name: String) throws {
        guard !name.isEmpty else { throw KafkaError.invalidArgument("topic name is empty") }
        guard name.utf8.count <= 249 else {
            throw KafkaError.invalidArgument("topic name is longer than 249 characters: '\(name.prefix(40))…'")
        }
        guard name != "." && name != ".." else {
            throw KafkaError.invalidArgument("topic name cannot be '\(name)'")
        }
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                    || scalar == "." || scalar == "_" || scalar == "-")
        }
        guard allowed else {
            throw KafkaError.invalidArgument(
                "topic name '\(name)' may only contain ASCII letters, digits, '.', '_' and '-'")
        }
    }
}
