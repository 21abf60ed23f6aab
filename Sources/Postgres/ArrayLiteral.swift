/// PostgreSQL's one-dimensional array text form: `{"a","b\"c",NULL}`.
enum ArrayLiteral {
    /// Quotes every element, so that commas, braces, spaces and the word NULL inside values stay data.
    static func format(_ elements: [String?]) -> String {
        var text = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { text += "," }
            guard let element else {
                text += "NULL"
                continue
            }
            text += "\""
            for character in element.unicodeScalars {
                if character == "\"" || character == "\\" { text += "\\" }
                text.unicodeScalars.append(character)
            }
            text += "\""
        }
        return text + "}"
    }

    enum ParseError: Error {
        case malformed(String)
    }

    /// Parses the server's output for a one-dimensional array; nil elements are NULLs. Multi-dimensional
    /// arrays are refused: no caller here can use them.
    static func parse(_ text: String) throws -> [String?] {
        var scalars = Substring(text).unicodeScalars[...]
        // Arrays with a lower bound other than 1 are written with a dimension prefix: [0:2]={1,2,3}.
        if scalars.first == "[" {
            guard let equals = scalars.firstIndex(of: "=") else { throw ParseError.malformed("dimension prefix") }
            scalars = scalars[scalars.index(after: equals)...]
        }
        guard scalars.first == "{", scalars.last == "}" else { throw ParseError.malformed("not enclosed in braces") }
        scalars = scalars.dropFirst().dropLast()
        if scalars.isEmpty { return [] }
        var elements: [String?] = []
        var index = scalars.startIndex
        while true {
            guard index < scalars.endIndex else { throw ParseError.malformed("missing element") }
            if scalars[index] == "{" { throw ParseError.malformed("multi-dimensional arrays are not supported") }
            if scalars[index] == "\"" {
                var element = String.UnicodeScalarView()
                index = scalars.index(after: index)
                while true {
                    guard index < scalars.endIndex else { throw ParseError.malformed("unterminated quote") }
                    let scalar = scalars[index]
                    index = scalars.index(after: index)
                    if scalar == "\"" { break }
                    if scalar == "\\" {
                        guard index < scalars.endIndex else { throw ParseError.malformed("dangling backslash") }
                        element.append(scalars[index])
                        index = scalars.index(after: index)
                    } else {
                        element.append(scalar)
                    }
                }
                elements.append(String(element))
            } else {
                let end = scalars[index...].firstIndex(of: ",") ?? scalars.endIndex
                let element = String(String.UnicodeScalarView(scalars[index..<end]))
                if element.isEmpty { throw ParseError.malformed("empty element") }
                elements.append(element == "NULL" ? nil : element)
                index = end
            }
            if index == scalars.endIndex { return elements }
            guard scalars[index] == "," else { throw ParseError.malformed("expected ',' between elements") }
            index = scalars.index(after: index)
        }
    }
}
