// TempFolder: the tests' scratch folders under the system temp folder, and what a command left in one.
namespace NcutKernels.Tests;

internal static class TempFolder
{
    /// <summary>Creates and returns a new folder <paramref name="prefix"/> + a fresh GUID (32 hex digits) under the system temp folder.</summary>
    public static string Create(string prefix)
    {
        string dir = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Every file and folder below <paramref name="dir"/> (temporaries included), relative to it, in ordinal order.</summary>
    public static string[] Entries(string dir) => Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories)
        .Select(e => Path.GetRelativePath(dir, e)).Order(StringComparer.Ordinal).ToArray();
}
