// The page's logic: describe the model, send a picked or dropped image to /v1/predict and /v1/walk, draw the answers.
'use strict';

const $ = (id) => document.getElementById(id);
let topCount = 5; // min(5, the model's classes), once /v1/model answers
let layerOutputs = true; // false when the server runs on a GPU: no layer walk then

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function showStatus(text, isError) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

function barRow(label, fraction, text) {
  const row = document.createElement('div');
  row.className = 'bar-row';
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = label;
  name.title = label; // a long name is cut with an ellipsis (style.css): the whole of it on hover
  const bar = document.createElement('div');
  bar.className = 'bar';
  bar.style.width = `${Math.max(0.5, 100 * fraction)}%`;
  const value = document.createElement('span');
  value.textContent = text;
  row.append(name, bar, value);
  return row;
}

function drawTop(top) {
  const list = $('top');
  list.replaceChildren(...top.map((c) => {
    const item = document.createElement('li');
    item.append(barRow(c.name, c.probability, `${(100 * c.probability).toFixed(2)} %`));
    return item;
  }));
}

// A vector of any length as at most 256 bars (each bar the largest magnitude of its share of the values).
function drawVector(values) {
  const box = document.createElement('div');
  box.className = 'vector';
  const bars = Math.min(256, values.length);
  const per = values.length / bars;
  let largest = 0;
  for (const v of values) largest = Math.max(largest, Math.abs(v));
  for (let b = 0; b < bars; b++) {
    let v = 0;
    for (let i = Math.floor(b * per); i < Math.floor((b + 1) * per); i++) if (Math.abs(values[i]) > Math.abs(v)) v = values[i];
    const bar = document.createElement('div');
    bar.style.height = `${largest > 0 ? (100 * Math.abs(v)) / largest : 0}%`;
    if (v < 0) bar.className = 'negative';
    box.append(bar);
  }
  return box;
}

function drawWalk(layers) {
  $('walk').replaceChildren(...layers.map((layer) => {
    const box = document.createElement('div');
    box.className = 'layer';
    box.dataset.layer = layer.name;
    const title = document.createElement('h3');
    title.title = layer.name;
    // Isolated, so a right-to-left override in an imported layer's name cannot reverse the kind and shape after it.
    const name = document.createElement('bdi');
    name.textContent = layer.name;
    const shape = document.createElement('small');
    shape.textContent = `${layer.kind} ${layer.shape.join('x')}`;
    title.append(name, ' ', shape);
    box.append(title);
    if (layer.png) {
      const tiles = document.createElement('img');
      tiles.className = 'tiles';
      tiles.alt = `${layer.name}: ${layer.shape[0]} maps`;
      tiles.src = `data:image/png;base64,${layer.png}`;
      box.append(tiles);
    } else {
      box.append(drawVector(layer.values));
    }
    return box;
  }));
}

async function classify(file) {
  $('preview').src = URL.createObjectURL(file);
  showStatus(`Classifying ${file.name} ...`, false);
  // The server tells JPEG from PNG by the bytes: the browser's type comes from the file name (a PNG named .txt is
  // text/plain, which the server refuses), so only an image type is passed on.
  const type = file.type.startsWith('image/') ? file.type : 'application/octet-stream';
  const request = () => ({ method: 'POST', headers: { 'Content-Type': type }, body: file });
  try {
    const prediction = await api(`/v1/predict?top=${topCount}`, request());
    drawTop(prediction.top);
    const t = prediction.timing;
    $('timing').textContent = `preprocess ${t.preprocessMs.toFixed(1)} ms, queue ${t.queueMs.toFixed(1)} ms, forward ${t.forwardMs.toFixed(1)} ms (batch of ${t.batchSize})`;
    if (layerOutputs) drawWalk((await api('/v1/walk', request())).layers);
    showStatus(`${file.name}: ${prediction.top[0].name}` +
      (layerOutputs ? '' : ' (no layer maps: the server runs on a GPU; start it with --device cpu to see them)'), false);
  } catch (error) {
    // An earlier image's answers must not stay beside this one's error.
    $('top').replaceChildren();
    $('walk').replaceChildren();
    $('timing').textContent = '';
    showStatus(`${file.name}: ${error.message}`, true);
  }
}

async function describeModel() {
  try {
    const model = await api('/v1/model');
    topCount = Math.min(5, model.classes);
    $('top-heading').textContent = `Top ${topCount}`;
    layerOutputs = model.layerOutputs;
    $('model-name').textContent = model.name;
    $('model-info').textContent = `${model.classes} classes, input ${model.inputShape.join('x')}; ${model.preprocessing}`;
    $('filters').src = '/v1/filters';
  } catch (error) {
    showStatus(error.message, true);
  }
}

$('file').addEventListener('change', () => { if ($('file').files.length) classify($('file').files[0]); });
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer.files.length) classify(e.dataTransfer.files[0]);
});
describeModel();
