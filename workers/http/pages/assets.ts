// The pages' static assets, served by Tierline itself (no CDN): one small stylesheet, the
// chart.js build from node_modules (a production dependency) and the few lines that draw each
// chart from the JSON the page embeds. Pages work without JavaScript: every chart has a table
// with the same numbers beside it.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

export const ASSET_PATH = '/assets';

// Colours chosen for WCAG AA: body text #111827 and muted #374151 on white are over 10:1,
// the link blue #1d4ed8 6.7:1, white on the badge and button colours over 4.5:1.
export const CSS = `*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;background:#f9fafb}
a{color:#1d4ed8}a:focus,button:focus,input:focus,select:focus{outline:3px solid #f59e0b;outline-offset:1px}
header.top{background:#1e3a8a;color:#fff;padding:.75rem 1.5rem;display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap}
header.top a{color:#fff}header.top nav ul{list-style:none;margin:0;padding:0;display:flex;gap:1rem;flex-wrap:wrap}
header.top form{margin-left:auto}
main{max-width:72rem;margin:0 auto;padding:1.5rem}
section.card{background:#fff;border:1px solid #d1d5db;border-radius:8px;padding:1rem 1.25rem;margin:0 0 1.25rem}
h1{font-size:1.75rem;margin:.25rem 0 1rem}h2{font-size:1.25rem;margin:0 0 .75rem}
.muted{color:#374151}.badge{display:inline-block;padding:.2rem .7rem;border-radius:999px;background:#1e3a8a;color:#fff;font-weight:600}
.badge.grace,.badge.review{background:#92400e}.badge.none{background:#374151}.badge.override,.badge.hold{background:#5b21b6}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{background:#f3f4f6}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
progress{width:100%;height:1.1rem;accent-color:#1d4ed8}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem}
label{display:block;font-weight:600;margin:.5rem 0 .2rem}input,select,textarea{font:inherit;padding:.35rem .5rem;border:1px solid #6b7280;border-radius:4px;max-width:100%}
button{font:inherit;padding:.4rem .9rem;border-radius:4px;border:1px solid #1e3a8a;background:#1e3a8a;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1e3a8a}
form.inline{display:flex;gap:.75rem;flex-wrap:wrap;align-items:flex-end}form.inline label{margin:0 0 .2rem}
.error{background:#fef2f2;border:1px solid #b91c1c;color:#7f1d1d;padding:.5rem .75rem;border-radius:4px}
.ok{background:#f0fdf4;border:1px solid #15803d;color:#14532d;padding:.5rem .75rem;border-radius:4px}
.chart{position:relative;height:16rem}pre{white-space:pre-wrap;word-break:break-all;background:#f3f4f6;padding:.75rem;border-radius:4px}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
details summary{cursor:pointer;color:#1d4ed8}
`;

// Draws every <canvas data-chart="ID"> from the JSON in <script type="application/json" id="ID">.
export const CHARTS_JS = `(function(){
  if(!window.Chart)return;
  document.querySelectorAll('canvas[data-chart]').forEach(function(canvas){
    var source=document.getElementById(canvas.getAttribute('data-chart'));
    if(!source)return;
    var spec=JSON.parse(source.textContent);
    var options={responsive:true,maintainAspectRatio:false,animation:false,plugins:{legend:{display:false}}};
    if(spec.kind==='tiers'){
      options.scales={y:{min:-1,max:spec.labels.length-1,ticks:{stepSize:1,callback:function(v){return v<0?'none':(spec.labels[v]||'');}}}};
      new Chart(canvas,{type:'line',data:{labels:spec.x,datasets:[{data:spec.y,stepped:true,borderColor:'#1d4ed8',backgroundColor:'#1d4ed8',pointRadius:2}]},options:options});
    }else{
      options.scales={y:{beginAtZero:true,ticks:{precision:0}}};
      new Chart(canvas,{type:'bar',data:{labels:spec.x,datasets:[{data:spec.y,backgroundColor:'#1d4ed8'}]},options:options});
    }
    canvas.setAttribute('data-drawn','true');
  });
})();
`;

let chartLibrary: Promise<Buffer> | undefined;

function chartJs(): Promise<Buffer> {
  // The package's exports name no UMD build; it sits beside the CommonJS entry.
  chartLibrary ??= readFile(join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'));
  return chartLibrary;
}

export function registerAssets(app: FastifyInstance): void {
  const cache = 'public, max-age=3600';
  app.get(`${ASSET_PATH}/tierline.css`, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', cache).send(CSS),
  );
  app.get(`${ASSET_PATH}/charts.js`, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', cache).send(CHARTS_JS),
  );
  app.get(`${ASSET_PATH}/chart.umd.min.js`, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', cache)
      .send(await chartJs()),
  );
}
