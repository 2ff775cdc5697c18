// StagedFiles: writes output files under temporary names and renames them into place together, so a failure leaves no output and never a truncated file.
namespace NcutKernels.IO;

/// <summary>
/// A set of output files written atomically. Each file is written under a temporary name — beside its target, or, for
/// a set built with <see cref="StagedFiles(string)"/>, in a temporary folder beside the target folder — and
/// <see cref="Commit"/> renames them into place (a rename within one file system, which replaces an existing file in one
/// step). Disposing without committing deletes everything written. So a failure before the commit (an exception, a full
/// disk) leaves no output behind and never a truncated file, and files already at the targets keep their old contents.
/// If a rename itself fails during the commit, the targets already renamed are deleted again (their old contents are
/// gone by then) and the exception is rethrown. A process killed outright may leave its hidden ".name.….tmp" entries.
/// </summary>
/// <remarks>An instance is not thread-safe.</remarks>
public sealed class StagedFiles : IDisposable
{
    private readonly List<(string Target, string Temporary)> _files = [];
    private readonly HashSet<string> _written = new(PathComparer);
    private readonly string? _folder;
    private readonly string? _staging;
    private bool _committed, _disposed;

    /// <summary>A set whose files may lie in any existing folders; each is staged beside its target.</summary>
    public StagedFiles()
    {
    }

    /// <summary>
    /// A set of files in one <paramref name="folder"/>, staged in a temporary folder beside it: at the commit the staging
    /// folder is renamed to <paramref name="folder"/> when that does not exist yet, else its files are moved in one by one.
    /// </summary>
    /// <param name="folder">The output folder; it need not exist, but its parent must, and both must be writable.</param>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is empty or not a valid path, or is a root folder.</exception>
    /// <exception cref="IOException"><paramref name="folder"/> is a file, or its parent folder does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The parent folder or <paramref name="folder"/> is not writable.</exception>
    public StagedFiles(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        string parent = Path.GetDirectoryName(full)
            ?? throw new ArgumentException($"the root folder {folder} cannot be an output folder.", nameof(folder));
        if (File.Exists(full))
            throw new IOException($"{folder} is a file, not a folder.");
        if (!Directory.Exists(parent))
            throw new DirectoryNotFoundException($"cannot create {folder}: its parent folder {parent} does not exist.");
        _folder = full;
        _staging = Path.Combine(parent, TemporaryName(Path.GetFileName(full)));
        Writable(parent, folder, () => Directory.CreateDirectory(_staging));
        if (Directory.Exists(full))
        {
            try
            {
                Writable(full, folder, () => new FileStream(Path.Combine(full, TemporaryName("probe")), FileMode.CreateNew, FileAccess.Write,
                    FileShare.None, 1, FileOptions.DeleteOnClose).Dispose());
            }
            catch
            {
                Directory.Delete(_staging, recursive: true);
                throw;
            }
        }
    }

    /// <summary>How paths compare on this system (ignoring case on Windows and macOS, whose file systems usually do).</summary>
    public static StringComparer PathComparer { get; } =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    /// <summary>The full paths of the files in the set, in the order they were added.</summary>
    public IReadOnlyList<string> Targets => _files.Select(f => f.Target).ToList();

    /// <summary>Writes one file atomically: <paramref name="write"/> fills a temporary file beside <paramref name="path"/>, which then replaces it.</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or invalid.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a folder, its folder does not exist, or writing failed.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable.</exception>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        using var files = new StagedFiles();
        files.Write(path, write);
        files.Commit();
    }

    /// <summary>
    /// Adds <paramref name="path"/> to the set and creates its (empty) temporary file, which checks that the target can be
    /// written before anything is computed. Returns the full path.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or invalid, already in the set, or (for a folder
    /// set) not directly in the folder.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a folder, or its folder does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable.</exception>
    public string Add(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
            throw new InvalidOperationException("the set is already committed.");
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (_files.Any(f => PathComparer.Equals(f.Target, full)))
            throw new ArgumentException($"two outputs go to {path}.", nameof(path));
        if (Path.EndsInDirectorySeparator(full) || Directory.Exists(full))
            throw new IOException($"{path} is a folder, not a file.");
        string folder = Path.GetDirectoryName(full)!;
        string temporary;
        if (_staging is not null)
        {
            if (!PathComparer.Equals(folder, _folder))
                throw new ArgumentException($"{path} is not in the output folder {_folder}.", nameof(path));
            temporary = Path.Combine(_staging, Path.GetFileName(full));
        }
        else
        {
            if (!Directory.Exists(folder))
                throw new DirectoryNotFoundException($"cannot write {path}: the folder {folder} does not exist.");
            temporary = Path.Combine(folder, TemporaryName(Path.GetFileName(full)));
        }
        Writable(folder, path, () => new FileStream(temporary, FileMode.CreateNew, FileAccess.Write).Dispose());
        _files.Add((full, temporary));
        return full;
    }

    /// <summary>
    /// Writes the file at <paramref name="path"/> (added first if it is not in the set yet) into its temporary file:
    /// <paramref name="write"/> gets a stream positioned at 0 of an empty file; writing a file again replaces what was written.
    /// </summary>
    /// <exception cref="IOException">Writing failed (a full disk, say); the target is untouched.</exception>
    public void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
            throw new InvalidOperationException("the set is already committed.");
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        int index = _files.FindIndex(f => PathComparer.Equals(f.Target, full));
        if (index < 0)
        {
            Add(path);
            index = _files.Count - 1;
        }
        using (var stream = new FileStream(_files[index].Temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            write(stream);
            if (stream.CanWrite)
                stream.Flush(flushToDisk: true);
        }
        _written.Add(full);
    }

    /// <summary>Renames every file of the set into place (see the class summary for what happens when a rename fails).</summary>
    /// <exception cref="InvalidOperationException">A file was added but never written, or the set is already committed.</exception>
    /// <exception cref="IOException">A rename failed.</exception>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
            throw new InvalidOperationException("the set is already committed.");
        foreach (var (target, _) in _files)
            if (!_written.Contains(target))
                throw new InvalidOperationException($"nothing was written to {target}.");
        if (_staging is not null && !Directory.Exists(_folder))
        {
            Directory.Move(_staging, _folder!);
            _committed = true;
            return;
        }
        var moved = new List<string>();
        try
        {
            foreach (var (target, temporary) in _files)
            {
                File.Move(temporary, target, overwrite: true);
                moved.Add(target);
            }
        }
        catch
        {
            foreach (var target in moved)
                TryDelete(() => File.Delete(target));
            throw;
        }
        _committed = true;
        if (_staging is not null)
            TryDelete(() => Directory.Delete(_staging, recursive: true));
    }

    /// <summary>Deletes the temporary files (and staging folder) unless the set was committed.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (_committed)
            return;
        if (_staging is not null)
            TryDelete(() => Directory.Delete(_staging, recursive: true));
        else
            foreach (var (_, temporary) in _files)
                TryDelete(() => File.Delete(temporary));
    }

    /// <summary>A hidden name, unique per call, that still shows which file it stands for.</summary>
    private static string TemporaryName(string name) => $".{(name.Length > 40 ? name[..40] : name)}.{Guid.NewGuid():N}.tmp";

    /// <summary>Runs <paramref name="create"/>, which creates an entry in <paramref name="folder"/>, and words a permission failure for <paramref name="path"/>.</summary>
    private static void Writable(string folder, string path, Action create)
    {
        try
        {
            create();
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"cannot write {path}: no permission to create files in {folder}.", e);
        }
    }

    /// <summary>Clean-up that must not hide the exception being handled: a failure here leaves a stray temporary entry, nothing worse.</summary>
    private static void TryDelete(Action delete)
    {
        try
        {
            delete();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
