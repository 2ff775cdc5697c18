// RepositoryFolders: finds a folder of the repository (reference data, sources) from the test binaries' location.
using NUnit.Framework;

namespace NcutKernels.Tests;

/// <summary>Folders of the repository the tests read, found by walking up from the test binaries.</summary>
internal static class RepositoryFolders
{
    /// <summary>The repository's root folder: the one holding NcutKernels/, NcutKernels.Cli/ and the solution.</summary>
    public static string Root => Path.GetFullPath(Path.Combine(Find("NcutKernels/Spectral"), "..", ".."));

    /// <summary>The first folder <paramref name="relative"/> (e.g. "ReferenceData/peer") under the binaries' folder or any folder above it.</summary>
    public static string Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate))
                return candidate;
        }
        throw new AssertionException($"{relative} not found in {AppContext.BaseDirectory} or any folder above it.");
    }
}
