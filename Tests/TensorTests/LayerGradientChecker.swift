import Tensor
import XCTest

/// Compares a layer's backward pass with central differences of Σ r ⊙ forward(x).
struct LayerGradientChecker {
    var epsilon: Float = 1e-2
    var tolerance: Double = 1e-2

    func check(
        _ layer: Layer, input: Tensor, training: Bool = true, seed: UInt64 = 7,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        var generator = SeededGenerator(seed: seed)
        let output = try layer.forward(input, training: training)
        let weights = GradientCheck.randomTensor(output.shape, generator: &generator)
        for parameter in layer.parameters { parameter.zeroGradient() }
        _ = try layer.forward(input, training: training)
        let analyticInput = try layer.backward(weights)
        let analyticParameters = layer.parameters.map(\.gradient)

        let numericInput = try GradientCheck.numericalGradient(at: input, epsilon: epsilon) { x in
            GradientCheck.projection(try layer.forward(x, training: training), onto: weights)
        }
        let inputError = try GradientCheck.relativeError(analyticInput, numericInput)
        XCTAssertLessThan(inputError, tolerance, "input gradient", file: file, line: line)
        for (index, parameter) in layer.parameters.enumerated() {
            let numeric = try GradientCheck.numericalGradient(of: parameter, epsilon: epsilon) {
                GradientCheck.projection(try layer.forward(input, training: training), onto: weights)
            }
            let error = try GradientCheck.relativeError(analyticParameters[index], numeric)
            XCTAssertLessThan(error, tolerance, "parameter \(index) gradient", file: file, line: line)
        }
    }
}
