// Reference descriptors from face-api itself (TensorFlow.js, pure-JS CPU backend) for
// crates/twinnet/tests/face_recognition.rs. Run through scripts/face-api-golden.sh, which
// installs the pinned packages into a scratch folder; not part of CI.
//   node face-api-golden.cjs WEIGHTS_DIR OUT.json
// Inputs are 150×150 RGB crops given by formula (so the JSON holds only the descriptors):
// pattern k, value at NHWC index i = 127.5 · (1 + sin(f_k · i + 1.3 · k)), rounded to f32.
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const fs = require('fs');
const [dir, out] = process.argv.slice(2);
const FREQ = [0.37, 0.011, 0.0005];
(async () => {
  const tf = faceapi.tf;
  await tf.setBackend('cpu');
  await tf.ready();
  const manifest = JSON.parse(fs.readFileSync(`${dir}/face_recognition_model-weights_manifest.json`));
  const buf = fs.readFileSync(`${dir}/${manifest[0].paths[0]}`);
  const weights = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), manifest[0].weights);
  const net = new faceapi.FaceRecognitionNet();
  net.loadFromWeightMap(weights);
  const n = 150 * 150 * 3;
  const cases = [];
  for (let k = 0; k < FREQ.length; k++) {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = 127.5 * (1 + Math.sin(FREQ[k] * i + 1.3 * k));
    const d = await net.computeFaceDescriptor(tf.tensor3d(v, [150, 150, 3]));
    cases.push({ frequency: FREQ[k], phase: 1.3 * k, descriptor: Array.from(d) });
  }
  const meta = { source: '@vladmandic/face-api@1.7.15 FaceRecognitionNet, @tensorflow/tfjs@4.22.0 cpu backend', layout: 'NHWC index i over 150x150x3', cases };
  fs.writeFileSync(out, JSON.stringify(meta, null, 1) + '\n');
  console.log(`wrote ${cases.length} descriptors to ${out}`);
})();
