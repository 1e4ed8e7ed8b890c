using System.Globalization;
using SockCat.Internal.Interop;

namespace SockCat.Services.Exec;

/// <summary>
/// Finds, signals and reaps everything one program started, read from <c>/proc</c> (the only place Linux lists who
/// descends from whom): the program's process group (numbered by its PID, it leads it), every descendant found by
/// following parent PIDs down from the program (a job-control shell puts its jobs in groups of their own, out of reach
/// of <c>kill(-pgid)</c>), and, when the program leads a session of its own, every member of that session. What has
/// been found once is kept (by PID and start time, so a reused PID is not mistaken for it): a descendant orphaned by
/// its parent's death is re-parented to this process (a subreaper) and no longer descends from the program, but is
/// still one of its own. A grandchild orphaned in a group of its own before any scan, in a program without a session
/// of its own, is out of reach: nothing in /proc ties it to the program any more.
/// </summary>
internal sealed class ProcessFamily(int leader, bool ownSession, Func<bool> leaderReaped)
{
    private static readonly int Self = Environment.ProcessId;
    private readonly HashSet<(int Pid, long Start)> _known = [];

    /// <summary>One process as /proc/PID/stat gives it.</summary>
    internal readonly record struct Member(int Pid, char State, int ParentPid, int Group, int Session, long Start)
    {
        public bool IsZombie => State is 'Z' or 'X';
    }

    /// <summary>The program's family, live or zombie, the program itself included while it has not been reaped.</summary>
    public List<Member> Members()
    {
        var all = ReadAll();
        var family = new List<Member>();
        // The program's PID counts as a parent only until it is reaped: after that the number may be another's.
        HashSet<int> pids = leaderReaped() ? [] : [leader];
        lock (_known)
        {
            foreach (var process in all)
            {
                if (process.Group == leader || (ownSession && process.Session == leader) || _known.Contains((process.Pid, process.Start)))
                {
                    family.Add(process);
                    pids.Add(process.Pid);
                }
            }

            // Descendants: whoever's parent is in the family is in it, down to the youngest (a pass per generation).
            for (var grown = true; grown;)
            {
                grown = false;
                foreach (var process in all)
                {
                    if (pids.Contains(process.ParentPid) && pids.Add(process.Pid))
                    {
                        family.Add(process);
                        grown = true;
                    }
                }
            }

            foreach (var member in family)
            {
                _known.Add((member.Pid, member.Start));
            }
        }

        return family;
    }

    /// <summary>Whether any of the family is still running (not a zombie).</summary>
    public bool AnyAlive() => Members().Exists(m => !m.IsZombie);

    /// <summary>Sends <paramref name="signal"/> to the program's group and to every member of the family outside it.</summary>
    public void Signal(int signal)
    {
        var members = Members();
        // The group at once (what forks meanwhile is reached too), while it has members: an empty group's number may
        // since have been given to another.
        if (members.Exists(m => m.Group == leader))
        {
            LinuxProcesses.kill(-leader, signal);
        }

        foreach (var member in members)
        {
            if (member.Group != leader && !member.IsZombie)
            {
                LinuxProcesses.kill(member.Pid, signal);
            }
        }
    }

    /// <summary>
    /// Reaps the family's zombies that are this process's children, except the program itself (<see cref="ChildReaper"/>
    /// reaps it for its exit code): orphans re-parented here.
    /// </summary>
    public void ReapOrphans()
    {
        foreach (var member in Members())
        {
            if (member.IsZombie && member.ParentPid == Self && member.Pid != leader)
            {
                LinuxProcesses.waitpid(member.Pid, out _, LinuxProcesses.WNOHANG);
            }
        }
    }

    private static List<Member> ReadAll()
    {
        var all = new List<Member>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory.AsSpan());
            if (name.Length > 0 && char.IsAsciiDigit(name[0]) && int.TryParse(name, CultureInfo.InvariantCulture, out var pid)
                && pid != Self && Read(pid) is { } member)
            {
                all.Add(member);
            }
        }

        return all;
    }

    private static Member? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;   // gone since the directory was listed
        }

        // "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
        // priority nice threads itrealvalue starttime ...": comm may hold spaces and parentheses, so parse after the
        // last ')'; starttime is the 20th field from there.
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = stat[(close + 2)..].Split(' ', 21);
        return fields.Length < 21
            ? null
            : new Member(pid, fields[0][0], Int(fields[1]), Int(fields[2]), Int(fields[3]), long.Parse(fields[19], CultureInfo.InvariantCulture));
    }

    private static int Int(string field) => int.Parse(field, CultureInfo.InvariantCulture);
}
