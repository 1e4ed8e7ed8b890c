namespace SockCat.Services.Exec;

/// <summary>
/// The page <c>serve exec</c> serves on its web address: the program's output live over a WebSocket back to where the
/// page came from, ANSI colours rendered, following the end unless the reader has scrolled up, the exit shown with its
/// code (the close frame's reason), and an input line where the program takes input. Self-contained: no script from
/// elsewhere, so it works offline and under the same-origin rule.
/// </summary>
internal static class ExecPage
{
    public static string Render(ExecService service)
    {
        var options = service.Options;
        var input = !options.Broadcast || options.BroadcastInput;
        return Html
            .Replace("__TITLE__", System.Net.WebUtility.HtmlEncode(service.ProgramName), StringComparison.Ordinal)
            .Replace("__PTY__", options.Pty ? "true" : "false", StringComparison.Ordinal)
            .Replace("__INPUT__", input ? "" : "hidden", StringComparison.Ordinal);
    }

    private const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>__TITLE__ · sockcat</title>
        <style>
          body { font: 14px system-ui, sans-serif; margin: 0; display: flex; flex-direction: column; height: 100vh; background: #111; color: #ddd; }
          header { padding: .4em .8em; background: #222; }
          #output { flex: 1; margin: 0; padding: .5em .8em; overflow-y: auto; font: 13px/1.35 ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
          #form { display: flex; padding: .4em .8em; background: #222; }
          #form[hidden] { display: none; }
          #input { flex: 1; font: 13px ui-monospace, monospace; background: #000; color: #eee; border: 1px solid #555; padding: .3em; }
          .b { font-weight: bold; } .exit { color: #8cf; }
        </style>
        </head>
        <body>
        <header><b>__TITLE__</b> · <span id="status">connecting</span></header>
        <pre id="output"></pre>
        <form id="form" __INPUT__><input id="input" autocomplete="off" placeholder="a line for the program's stdin" autofocus></form>
        <script>
        const PTY = __PTY__;
        const out = document.getElementById('output'), statusEl = document.getElementById('status');
        const colors = ['#000','#c33','#3c3','#cc3','#36f','#c3c','#3cc','#ccc','#666','#f66','#6f6','#ff6','#69f','#f6f','#6ff','#fff'];
        let style = {};
        function setStyle(params) {
          const codes = params === '' ? [0] : params.split(';').map(Number);
          for (let i = 0; i < codes.length; i++) {
            const c = codes[i];
            if (c === 0) style = {};
            else if (c === 1) style.bold = true;
            else if (c === 22) delete style.bold;
            else if (c >= 30 && c <= 37) style.fg = colors[c - 30];
            else if (c >= 90 && c <= 97) style.fg = colors[c - 90 + 8];
            else if (c === 39) delete style.fg;
            else if (c >= 40 && c <= 47) style.bg = colors[c - 40];
            else if (c >= 100 && c <= 107) style.bg = colors[c - 100 + 8];
            else if (c === 49) delete style.bg;
            else if ((c === 38 || c === 48) && codes[i + 1] === 5) { const n = codes[i + 2]; if (n < 16) style[c === 38 ? 'fg' : 'bg'] = colors[n]; i += 2; }
            else if ((c === 38 || c === 48) && codes[i + 1] === 2) { style[c === 38 ? 'fg' : 'bg'] = `rgb(${codes[i+2]},${codes[i+3]},${codes[i+4]})`; i += 4; }
          }
        }
        function append(text) {
          const follow = out.scrollTop + out.clientHeight >= out.scrollHeight - 8;
          const parts = text.replace(/\r\n/g, '\n').split(/(\x1b\[[0-9;?]*[A-Za-z])/);
          for (const part of parts) {
            const m = /^\x1b\[([0-9;]*)m$/.exec(part);
            if (m) { setStyle(m[1]); continue; }
            if (part.startsWith('\x1b[') || part === '') continue;
            const span = document.createElement('span');
            span.textContent = part.replace(/\x1b[^\[]?|\r/g, '');
            if (style.fg) span.style.color = style.fg;
            if (style.bg) span.style.background = style.bg;
            if (style.bold) span.className = 'b';
            out.appendChild(span);
          }
          while (out.childNodes.length > 20000) out.removeChild(out.firstChild);
          if (follow) out.scrollTop = out.scrollHeight;
        }
        const params = new URLSearchParams(location.search);
        if (PTY) {
          params.set('cols', Math.max(20, Math.floor(out.clientWidth / 7.8)));
          params.set('rows', Math.max(5, Math.floor(out.clientHeight / 17.5)));
        }
        const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + location.pathname + '?' + params;
        const ws = new WebSocket(url);
        ws.onopen = () => { statusEl.textContent = 'running'; };
        ws.onmessage = e => append(PTY ? e.data : e.data + '\n');
        ws.onclose = e => {
          const why = e.reason || (e.code === 1006 ? 'connection lost' : 'closed (' + e.code + ')');
          statusEl.textContent = why;
          const note = document.createElement('div');
          note.className = 'exit';
          note.textContent = '— ' + why;
          out.appendChild(note);
          out.scrollTop = out.scrollHeight;
          document.getElementById('input').disabled = true;
        };
        document.getElementById('form').onsubmit = e => {
          e.preventDefault();
          const input = document.getElementById('input');
          if (ws.readyState === WebSocket.OPEN) ws.send(input.value);
          input.value = '';
        };
        </script>
        </body>
        </html>
        """;
}
