// OutputPaths: checks a command's output paths before any work (no clashes with inputs or each other, writable places) and stages them for an atomic write.
using NcutKernels.IO;

namespace NcutKernels.Cli;

/// <summary>Turns the output options of a command into a <see cref="StagedFiles"/> set, refusing bad paths as usage errors.</summary>
internal static class OutputPaths
{
    /// <summary>
    /// Stages the given output files after checking that no two of them, and none of them and an input, are the same
    /// path; each is then checked (not a folder, its folder exists and is writable) by creating its temporary file.
    /// </summary>
    /// <param name="inputs">(option, path) of the files read; null paths are skipped.</param>
    /// <param name="outputs">(option, path) of the files written; null paths are skipped.</param>
    /// <exception cref="UsageException">A clash, or a path that cannot be written, named by its option.</exception>
    public static StagedFiles Files(IReadOnlyList<(string Option, string? Path)> inputs, IReadOnlyList<(string Option, string? Path)> outputs)
    {
        var written = outputs.Where(o => o.Path is not null).Select(o => (o.Option, Path: o.Path!, Full: FullPath(o.Option, o.Path!))).ToList();
        var read = inputs.Where(i => i.Path is not null).Select(i => (i.Option, Path: i.Path!, Full: FullPath(i.Option, i.Path!))).ToList();
        for (int j = 0; j < written.Count; j++)
        {
            for (int i = 0; i < j; i++)
                if (StagedFiles.PathComparer.Equals(written[i].Full, written[j].Full))
                    throw new UsageException($"{written[i].Option} and {written[j].Option} both write {written[j].Path}");
            foreach (var input in read)
                if (StagedFiles.PathComparer.Equals(input.Full, written[j].Full))
                    throw new UsageException($"{written[j].Option} {written[j].Path} would overwrite {input.Option}");
        }
        var files = new StagedFiles();
        try
        {
            foreach (var (option, path, _) in written)
                Checked(option, () => files.Add(path));
            return files;
        }
        catch
        {
            files.Dispose();
            throw;
        }
    }

    /// <summary>Stages the files <paramref name="names"/> of the output folder given by <paramref name="option"/>.</summary>
    /// <exception cref="UsageException">The folder or one of the files cannot be written, named by the option.</exception>
    public static StagedFiles Folder(string option, string folder, IEnumerable<string> names)
    {
        var files = Checked(option, () => new StagedFiles(folder));
        try
        {
            foreach (var name in names)
                Checked(option, () => files.Add(Path.Combine(folder, name)));
            return files;
        }
        catch
        {
            files.Dispose();
            throw;
        }
    }

    private static string FullPath(string option, string path) => Checked(option, () =>
        string.IsNullOrEmpty(path) ? throw new ArgumentException("the path is empty") : Path.GetFullPath(path));

    /// <summary>Runs <paramref name="action"/>, rewording a path problem as a usage error that names <paramref name="option"/>.</summary>
    private static T Checked<T>(string option, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: {e.Message}");
        }
    }
}
