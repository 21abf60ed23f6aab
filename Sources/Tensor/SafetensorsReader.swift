/// Parses and validates the bytes of a safetensors file.
///
/// The checks are those of Python's `safetensors` package (which requires the tensors' byte spans to
/// tile the data section exactly: sorted by offset, each starts where the previous one ends, the last
/// ends at the end of the file) plus two it does not make: a repeated tensor name is an error rather
/// than "last one wins", and tensors whose dtype we do not convert to Float are refused by name.
enum SafetensorsReader {
    struct Span {
        let name: String
        let dtype: SafetensorsDType
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    static func read(_ raw: UnsafeRawBufferPointer) throws -> SafetensorsFile {
        guard raw.count >= 8 else { throw SafetensorsError.fileTooShort(byteCount: raw.count) }
        let headerLength = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard headerLength <= UInt64(SafetensorsFile.maximumHeaderLength) else {
            throw SafetensorsError.headerLengthTooLarge(
                headerLength: headerLength, limit: SafetensorsFile.maximumHeaderLength)
        }
        guard headerLength <= UInt64(raw.count - 8) else {
            throw SafetensorsError.headerLengthBeyondFile(headerLength: headerLength, fileSize: raw.count)
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = raw.count - dataStart

        let header: JSONValue
        do {
            header = try JSONValue.parse(UnsafeRawBufferPointer(rebasing: raw[8..<dataStart]))
        } catch let error as JSONParseError {
            if let key = error.duplicateKey, error.nestingLevel == 1 {
                throw key == SafetensorsFile.metadataKey
                    ? SafetensorsError.invalidMetadata(reason: "appears more than once")
                    : SafetensorsError.duplicateName(key)
            }
            throw SafetensorsError.malformedHeader(error)
        }
        guard case .object(let members) = header else {
            throw SafetensorsError.headerNotObject(found: header.kindDescription)
        }

        var metadata: [String: String] = [:]
        var spans: [Span] = []
        for name in members.keys.sorted() {
            let value = members[name]!
            if name == SafetensorsFile.metadataKey {
                metadata = try parseMetadata(value)
            } else {
                spans.append(try parseEntry(name: name, value: value, dataSize: dataSize))
            }
        }
        try checkTiling(spans, dataSize: dataSize)
        if let unreadable = spans.first(where: { !$0.dtype.isReadableAsFloat }) {
            throw SafetensorsError.unsupportedDType(name: unreadable.name, dtype: unreadable.dtype)
        }

        var tensors: [String: SafetensorsFile.Entry] = [:]
        for span in spans {
            let values = convert(raw, from: dataStart + span.begin, count: span.end - span.begin, dtype: span.dtype)
            tensors[span.name] = SafetensorsFile.Entry(shape: span.shape, values: values)
        }
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    static func parseMetadata(_ value: JSONValue) throws -> [String: String] {
        switch value {
        case .null:
            return [:]
        case .object(let members):
            var metadata: [String: String] = [:]
            for (key, member) in members {
                guard case .string(let text) = member else {
                    throw SafetensorsError.invalidMetadata(
                        reason: "value of \"\(key)\" is \(member.kindDescription), not a string")
                }
                metadata[key] = text
            }
            return metadata
        default:
            throw SafetensorsError.invalidMetadata(reason: "is \(value.kindDescription), not an object of strings")
        }
    }

    static func parseEntry(name: String, value: JSONValue, dataSize: Int) throws -> Span {
        guard case .object(let fields) = value else {
            throw SafetensorsError.entryNotObject(name: name, found: value.kindDescription)
        }
        guard let dtypeValue = fields["dtype"] else { throw SafetensorsError.missingField(name: name, field: "dtype") }
        guard case .string(let dtypeName) = dtypeValue else {
            throw SafetensorsError.invalidField(
                name: name, field: "dtype", reason: "is \(dtypeValue.kindDescription), not a string")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw SafetensorsError.unknownDType(name: name, dtype: dtypeName)
        }
        let shape = try integers(fields, name: name, field: "shape")
        let offsets = try integers(fields, name: name, field: "data_offsets")
        guard offsets.count == 2 else {
            throw SafetensorsError.invalidField(
                name: name, field: "data_offsets", reason: "has \(offsets.count) elements, not 2 ([begin, end])")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else {
            throw SafetensorsError.invalidField(
                name: name, field: "data_offsets", reason: "[\(begin), \(end)] ends before it begins")
        }
        guard end <= Int64(dataSize) else {
            throw SafetensorsError.spanOutOfBounds(name: name, begin: begin, end: end, dataSize: dataSize)
        }
        let shapeInts = shape.map { Int($0) }
        let spanBytes = Int(end - begin)
        guard let count = elementCount(shapeInts),
            count.multipliedReportingOverflow(by: dtype.byteSize).overflow == false
        else {
            throw SafetensorsError.invalidField(name: name, field: "shape", reason: "\(shapeInts) is too large")
        }
        guard count * dtype.byteSize == spanBytes else {
            throw SafetensorsError.byteSpanMismatch(
                name: name, shape: shapeInts, dtype: dtype, expectedBytes: count * dtype.byteSize, spanBytes: spanBytes)
        }
        return Span(name: name, dtype: dtype, shape: shapeInts, begin: Int(begin), end: Int(end))
    }

    /// A field that must be an array of non-negative integers.
    static func integers(_ fields: [String: JSONValue], name: String, field: String) throws -> [Int64] {
        guard let value = fields[field] else { throw SafetensorsError.missingField(name: name, field: field) }
        guard case .array(let elements) = value else {
            throw SafetensorsError.invalidField(
                name: name, field: field, reason: "is \(value.kindDescription), not an array")
        }
        return try elements.map { element in
            guard case .integer(let integer) = element else {
                throw SafetensorsError.invalidField(
                    name: name, field: field, reason: "holds \(element.kindDescription), not only integers")
            }
            guard integer >= 0 else {
                throw SafetensorsError.invalidField(name: name, field: field, reason: "holds negative value \(integer)")
            }
            return integer
        }
    }

    /// The product of the dimensions, or nil when one is negative or the product overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// The spans, sorted by offset, must tile [0, dataSize) with no gap and no overlap.
    static func checkTiling(_ spans: [Span], dataSize: Int) throws {
        let sorted = spans.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var coveredEnd = 0
        var previous: Span?
        for span in sorted {
            if span.begin < coveredEnd, let previous {
                throw SafetensorsError.overlappingSpans(name: span.name, other: previous.name)
            }
            if span.begin > coveredEnd {
                throw SafetensorsError.uncoveredBytes(begin: coveredEnd, end: span.begin)
            }
            if span.end >= coveredEnd {
                coveredEnd = span.end
                previous = span
            }
        }
        if coveredEnd < dataSize { throw SafetensorsError.uncoveredBytes(begin: coveredEnd, end: dataSize) }
    }

    static func convert(_ raw: UnsafeRawBufferPointer, from start: Int, count byteCount: Int, dtype: SafetensorsDType)
        -> [Float]
    {
        let elements = byteCount / dtype.byteSize
        return [Float](unsafeUninitializedCapacity: elements) { buffer, initialized in
            switch dtype {
            case .float32:
                for index in 0..<elements {
                    let bits = raw.loadUnaligned(fromByteOffset: start + 4 * index, as: UInt32.self)
                    buffer[index] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            case .float16:
                for index in 0..<elements {
                    let bits = raw.loadUnaligned(fromByteOffset: start + 2 * index, as: UInt16.self)
                    buffer[index] = FloatConversion.float(fromHalf: UInt16(littleEndian: bits))
                }
            case .bfloat16:
                for index in 0..<elements {
                    let bits = raw.loadUnaligned(fromByteOffset: start + 2 * index, as: UInt16.self)
                    buffer[index] = FloatConversion.float(fromBFloat16: UInt16(littleEndian: bits))
                }
            case .float64:
                for index in 0..<elements {
                    let bits = raw.loadUnaligned(fromByteOffset: start + 8 * index, as: UInt64.self)
                    buffer[index] = Float(Double(bitPattern: UInt64(littleEndian: bits)))
                }
            default:
                preconditionFailure("convert called for \(dtype.rawValue), which read() refuses first")
            }
            initialized = elements
        }
    }
}
