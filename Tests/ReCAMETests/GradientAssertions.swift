import ReCAME
import Tensor
import XCTest

/// Compares a layer's analytic gradients (input and parameters) with central differences.
func assertLayerGradients(
    _ layer: Layer, input: Tensor, training: Bool, epsilon: Float = 1e-2, tolerance: Double = 1e-2,
    seed: UInt64 = 11, file: StaticString = #filePath, line: UInt = #line
) throws {
    var generator = SeededGenerator(seed: seed)
    let output = try layer.forward(input, training: training)
    let weights = GradientCheck.randomTensor(output.shape, generator: &generator)
    for parameter in layer.parameters { parameter.zeroGradient() }
    _ = try layer.forward(input, training: training)
    let inputGradient = try layer.backward(weights)
    let parameterGradients = layer.parameters.map(\.gradient)
    let numeric = try GradientCheck.numericalGradient(at: input, epsilon: epsilon) {
        GradientCheck.projection(try layer.forward($0, training: training), onto: weights)
    }
    XCTAssertLessThan(
        try GradientCheck.relativeError(inputGradient, numeric), tolerance, "input", file: file,
        line: line)
    for (index, parameter) in layer.parameters.enumerated() {
        let numericParameter = try GradientCheck.numericalGradient(of: parameter, epsilon: epsilon) {
            GradientCheck.projection(try layer.forward(input, training: training), onto: weights)
        }
        XCTAssertLessThan(
            try GradientCheck.relativeError(parameterGradients[index], numericParameter), tolerance,
            "parameter \(index)", file: file, line: line)
    }
}

/// A small architecture for fast tests: depth 8 (one block a stage), widths [4, 8, 16].
func tinyArchitecture(experts: Int = 2, classes: Int = 4, size: Int = 8) -> NetworkArchitecture {
    NetworkArchitecture(
        depth: 8, widths: NetworkArchitecture.widths(multiplier: 0.25), experts: experts,
        classes: classes, inputChannels: 1, inputHeight: size, inputWidth: size)
}
