// Runs an ONNX model with onnxruntime-node on raw float32 input and writes the output "logits"
// as raw float32 (little-endian): the ONNX parity check of exports (core/export/onnx_parity)
// and tst_onnx_export.
//
// usage: LATHE_ONNXRUNTIME_DIR=<folder whose node_modules holds onnxruntime-node> \
//        node run_onnx.js model.onnx input.bin N,C,H,W output.bin
// Prints the output's dims as JSON; exits 1 with the error on stderr when anything fails.
'use strict';

const fs = require('fs');
const path = require('path');

async function main() {
    const dir = process.env.LATHE_ONNXRUNTIME_DIR;
    if (!dir)
        throw new Error('LATHE_ONNXRUNTIME_DIR is not set');
    const ort = require(path.join(dir, 'node_modules', 'onnxruntime-node'));
    const [model, inputFile, shapeText, outputFile] = process.argv.slice(2);
    if (!outputFile)
        throw new Error('usage: node run_onnx.js model.onnx input.bin N,C,H,W output.bin');
    const shape = shapeText.split(',').map(Number);
    const bytes = fs.readFileSync(inputFile);
    // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
    const input = new Float32Array(bytes.buffer.slice(bytes.byteOffset,
                                                      bytes.byteOffset + bytes.byteLength));
    const session = await ort.InferenceSession.create(model, {
        intraOpNumThreads: 2,
        interOpNumThreads: 1,
    });
    const results = await session.run({input: new ort.Tensor('float32', input, shape)});
    const logits = results.logits;
    if (!logits)
        throw new Error('the model has no output named "logits"');
    const data = logits.data;
    fs.writeFileSync(outputFile, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    console.log(JSON.stringify({dims: logits.dims}));
}

main().catch((error) => {
    console.error(error && error.message ? error.message : String(error));
    process.exit(1);
});
