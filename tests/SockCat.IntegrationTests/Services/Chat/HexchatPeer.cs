using System.Diagnostics;
using System.Text;

namespace SockCat.IntegrationTests.Services.Chat;

/// <summary>
/// HexChat (Debian's hexchat, a GTK client) on an Xvfb display, set up the way a user would leave it: a network in
/// <c>servlist.conf</c> that connects at start and joins one channel, and the nick in <c>hexchat.conf</c>. A Python
/// script in its <c>addons/</c> folder (hexchat-python3) logs every line the server sends to <c>raw.log</c> and what
/// HexChat shows (its text events: "Channel Message", "You Join", ...) to <c>shown.log</c>, and runs the lines written
/// to the FIFO <c>in</c> as commands typed into a tab.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class HexchatPeer : IrcPeer
{
    // "TAB COMMAND" per FIFO line: COMMAND runs as if typed in the tab of that channel or nick ("*": the current tab).
    // Python's HexChat module has no hook for a file descriptor, so the FIFO is read, without blocking, on a timer.
    private const string DrivePlugin = """
        import os
        import hexchat

        __module_name__ = "drive"
        __module_version__ = "1"
        __module_description__ = "Logs the server's lines and HexChat's text events; runs commands from a FIFO"

        home = hexchat.get_info("configdir")
        raw = open(os.path.join(home, "raw.log"), "a", buffering=1)
        shown = open(os.path.join(home, "shown.log"), "a", buffering=1)

        def on_raw(word, word_eol, userdata):
            raw.write(word_eol[0] + "\n")
            return hexchat.EAT_NONE

        def on_print(word, word_eol, event):
            shown.write("\t".join([event, hexchat.get_info("channel") or ""] + list(word)) + "\n")
            return hexchat.EAT_NONE

        hexchat.hook_server("RAW LINE", on_raw)
        for event in ("Connected", "You Join", "Join", "Channel Message", "Channel Action", "Your Message",
                      "Your Action", "Private Message", "Private Message to Dialog", "Private Action to Dialog",
                      "Topic Change", "Quit", "Part", "Server Error"):
            hexchat.hook_print(event, on_print, event)

        fifo_path = os.path.join(home, "in")
        os.mkfifo(fifo_path, 0o666)
        fifo = os.open(fifo_path, os.O_RDWR | os.O_NONBLOCK)
        pending = b""

        def on_tick(userdata):
            global pending
            try:
                pending += os.read(fifo, 4096)
            except BlockingIOError:
                return True
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                tab, command = line.decode().split(" ", 1)
                context = hexchat.get_context() if tab == "*" else hexchat.find_context(channel=tab)
                if context is None:
                    shown.write("drive\tno tab named %s for: %s\n" % (tab, command))
                else:
                    context.command(command)
            return True

        hexchat.hook_timer(50, on_tick)
        shown.write("drive\tloaded\n")
        """;

    private readonly StringBuilder _output = new();

    private HexchatPeer()
        : base("hexchat")
    {
    }

    public string RawLog => Path.Combine(Directory, "raw.log");

    public string ShownLog => Path.Combine(Directory, "shown.log");

    public static HexchatPeer Start(XvfbDisplay display, int port, string nick, string channel)
    {
        var peer = new HexchatPeer();
        var home = peer.Directory;

        // net_throttle = 0: HexChat's own flood protection spaces lines 2 s apart past a burst of about five, and drops
        // what is still queued when the connection closes (a /quit's QUIT among them). The server has its own (--flood).
        File.WriteAllText(Path.Combine(home, "hexchat.conf"), $"""
            irc_nick1 = {nick}
            irc_nick2 = {nick}_
            irc_nick3 = {nick}__
            irc_user_name = hex
            irc_real_name = HexChat Tester
            gui_slist_skip = 1
            gui_join_dialog = 0
            gui_quit_dialog = 0
            gui_tray = 0
            net_throttle = 0

            """);

        // F=8: connect at start (FLAG_AUTO_CONNECT), no TLS; J: the channels joined once registered.
        File.WriteAllText(Path.Combine(home, "servlist.conf"), $"""
            v=2.16.1

            N=sockcat
            J={channel}
            F=8
            D=0
            S=127.0.0.1/{port}

            """);
        System.IO.Directory.CreateDirectory(Path.Combine(home, "addons"));
        File.WriteAllText(Path.Combine(home, "addons", "drive.py"), DrivePlugin);

        // Run by root, HexChat first opens a modal "Running IRC as root is stupid!" dialog and waits for its OK before
        // it reads the network list or loads a script: as root the test runs it as nobody, in a folder nobody can write.
        var asRoot = Environment.IsPrivilegedProcess;
        var info = new ProcessStartInfo(asRoot ? "setpriv" : "hexchat")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asRoot)
        {
            File.SetUnixFileMode(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
            foreach (var argument in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "hexchat" })
            {
                info.ArgumentList.Add(argument);
            }
        }

        info.ArgumentList.Add("--cfgdir");
        info.ArgumentList.Add(home);
        info.Environment["DISPLAY"] = display.Name;
        info.Environment["HOME"] = home;
        info.Environment["XDG_CONFIG_HOME"] = Path.Combine(home, ".config");
        info.Environment["XDG_CACHE_HOME"] = Path.Combine(home, ".cache");
        info.Environment["XDG_DATA_HOME"] = Path.Combine(home, ".local");
        info.Environment.Remove("XDG_RUNTIME_DIR");
        info.Environment.Remove("WAYLAND_DISPLAY");

        // A bus address that leads nowhere: GLib would otherwise autolaunch a session bus (a dbus-daemon left running
        // after the test); HexChat only says it has no remote control. NO_AT_BRIDGE: no accessibility bus either.
        info.Environment["DBUS_SESSION_BUS_ADDRESS"] = $"unix:path={Path.Combine(home, "no-session-bus")}";
        info.Environment["NO_AT_BRIDGE"] = "1";

        // setpriv execs HexChat: the PID kept is HexChat's own, which the base class ends.
        peer.Process = Process.Start(info)!;
        peer.Process.OutputDataReceived += (_, e) => { lock (peer._output) { peer._output.AppendLine(e.Data); } };
        peer.Process.ErrorDataReceived += (_, e) => { lock (peer._output) { peer._output.AppendLine(e.Data); } };
        peer.Process.BeginOutputReadLine();
        peer.Process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>Runs a HexChat command (<c>say hi</c>, <c>me waves</c>) as if typed in the tab of a channel or nick.</summary>
    public Task CommandAsync(string tab, string command) => WriteFifoAsync(Path.Combine(Directory, "in"), $"{tab} {command}");

    /// <summary>Waits for a line from the server containing <paramref name="text"/>.</summary>
    public Task<string> WaitForRawAsync(string text) => WaitForLineAsync(RawLog, text, Context);

    /// <summary>Waits for a text event HexChat showed: <c>EVENT\tTAB\tWORD...</c> (<c>Channel Message\t#lobby\tliner\thi</c>).</summary>
    public Task<string> WaitForShownAsync(string text) => WaitForLineAsync(ShownLog, text, Context);

    // "killall" is HexChat's command to exit the program (a QUIT to every server first).
    protected override Task QuitAsync() => CommandAsync("*", "killall");

    private string Context()
    {
        var shown = File.Exists(ShownLog) ? File.ReadAllText(ShownLog) : "(no shown.log)";
        lock (_output)
        {
            return $"shown.log:\n{shown}\nHexChat's output:\n{_output}";
        }
    }
}
