namespace SockCat.Services.Echo;

/// <summary>
/// The page <c>sockcat serve echo ws://...</c> serves at its own address: it opens a WebSocket back to where it came
/// from, sends what is typed (as text, or as binary bytes), and lists what returns. Self-contained (no script from
/// elsewhere), so it works offline and under the same-origin rule.
/// </summary>
internal static class EchoPage
{
    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>sockcat echo</title>
        <style>
          body { font: 15px system-ui, sans-serif; margin: 2em; max-width: 40em; }
          #log { font-family: ui-monospace, monospace; white-space: pre-wrap; border: 1px solid #ccc; padding: .5em; min-height: 8em; }
        </style>
        </head>
        <body>
        <h1>sockcat echo</h1>
        <p>Status: <span id="status">connecting</span></p>
        <form id="form">
          <input id="text" autocomplete="off" placeholder="a message" autofocus>
          <label><input type="checkbox" id="binary"> binary</label>
          <button id="send" type="submit">Send</button>
        </form>
        <div id="log"></div>
        <script>
          const scheme = location.protocol === "https:" ? "wss:" : "ws:";
          const ws = new WebSocket(scheme + "//" + location.host + location.pathname);
          ws.binaryType = "arraybuffer";
          const log = document.getElementById("log");
          const status = document.getElementById("status");
          function line(text) { const div = document.createElement("div"); div.className = "line"; div.textContent = text; log.appendChild(div); }
          ws.onopen = () => { status.textContent = "open"; };
          ws.onclose = e => { status.textContent = "closed " + e.code; };
          ws.onmessage = e => {
            if (typeof e.data === "string") { line("text: " + e.data); }
            else { line("binary: " + Array.from(new Uint8Array(e.data)).join(",")); }
          };
          document.getElementById("form").onsubmit = e => {
            e.preventDefault();
            const text = document.getElementById("text").value;
            if (document.getElementById("binary").checked) { ws.send(new TextEncoder().encode(text)); }
            else { ws.send(text); }
          };
        </script>
        </body>
        </html>
        """;
}
