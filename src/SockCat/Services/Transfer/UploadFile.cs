using System.Runtime.InteropServices;
using SockCat.Internal.Interop;

namespace SockCat.Services.Transfer;

/// <summary>
/// One upload on its way to a directory: a hidden temporary file (<c>.sockcat-RANDOM.part</c>, created exclusively, so
/// never through a symbolic link), written, flushed to disk, and renamed to its final name only when complete. The
/// rename never follows a link at the final name (it would replace the link itself) and, without overwrite, never
/// replaces anything: an existing name gets a numbered one. Deleted on every other way out.
/// </summary>
internal sealed class UploadFile : IDisposable
{
    private readonly string _directory;
    private FileStream? _stream;

    private UploadFile(string directory, string tempPath, FileStream stream)
    {
        _directory = directory;
        TempPath = tempPath;
        _stream = stream;
    }

    public string TempPath { get; }

    /// <summary>Creates the temporary file, reserving <paramref name="size"/> bytes when known (a full disk shows here, at once).</summary>
    public static UploadFile Create(string directory, long? size)
    {
        var path = Path.Combine(directory, $".sockcat-{Guid.NewGuid():N}.part");
        // CreateNew is O_CREAT|O_EXCL: it fails on anything already there, a symbolic link included, never following it.
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0,
            PreallocationSize = size ?? 0,
        });
        return new UploadFile(directory, path, stream);
    }

    public void Write(ReadOnlySpan<byte> data) => _stream!.Write(data);

    /// <summary>Flushes the bytes to disk, then renames the file to <paramref name="name"/> (or a numbered name); returns the name used.</summary>
    public string Commit(string name, bool overwrite)
    {
        _stream!.Flush(flushToDisk: true);
        _stream.Dispose();
        _stream = null;
        var chosen = name;
        for (var n = 1; ; n++)
        {
            var target = Path.Combine(_directory, chosen);
            if (overwrite ? TryReplace(target) : TryRenameNew(target))
            {
                SyncDirectory();
                return chosen;
            }

            if (n > 9999)
            {
                throw new IOException($"'{name}' and its numbered names up to {chosen} all exist");
            }

            chosen = TransferNames.Numbered(name, n);
        }
    }

    /// <summary>Closes and deletes the temporary file, if it is still there.</summary>
    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
        try
        {
            File.Delete(TempPath);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private bool TryReplace(string target)
    {
        // rename(2) replaces the name itself: a symbolic link there is replaced, never written through. A directory there
        // cannot be replaced by a file: take a numbered name instead.
        if (Directory.Exists(target) && new DirectoryInfo(target).LinkTarget is null)
        {
            return false;
        }

        File.Move(TempPath, target, overwrite: true);
        return true;
    }

    private bool TryRenameNew(string target)
    {
        if (OperatingSystem.IsLinux())
        {
            if (LinuxFiles.RenameAt2(LinuxFiles.AT_FDCWD, TempPath, LinuxFiles.AT_FDCWD, target, LinuxFiles.RENAME_NOREPLACE) == 0)
            {
                return true;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == LinuxFiles.EEXIST)
            {
                return false;
            }

            if (errno is not (LinuxFiles.EINVAL or LinuxFiles.ENOSYS))
            {
                throw new IOException($"cannot rename {TempPath} to {target}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }

            // A file system without RENAME_NOREPLACE: fall through to the check-then-move below.
        }

        if (File.Exists(target) || Directory.Exists(target) || new FileInfo(target).LinkTarget is not null)
        {
            return false;
        }

        try
        {
            File.Move(TempPath, target, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(target))
        {
            return false;
        }
    }

    private void SyncDirectory()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = LinuxFiles.Open(_directory, LinuxFiles.O_RDONLY | LinuxFiles.O_DIRECTORY | LinuxFiles.O_CLOEXEC);
        if (fd >= 0)
        {
            LinuxFiles.Fsync(fd);
            LinuxFiles.Close(fd);
        }
    }
}
