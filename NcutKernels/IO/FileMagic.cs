// FileMagic: the leading bytes of the file formats the project reads (.npy, the saved fit), so that each reader can name the other's files.
namespace NcutKernels.IO;

/// <summary>The magic bytes each file format starts with.</summary>
internal static class FileMagic
{
    /// <summary>A .npy file: 0x93 then "NUMPY" in ASCII (the format version follows).</summary>
    public static ReadOnlySpan<byte> Npy => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>A saved fit (docs/FIT-FORMAT.md): 0x93 then "NCUTFIT" in ASCII.</summary>
    public static ReadOnlySpan<byte> Fit => [0x93, (byte)'N', (byte)'C', (byte)'U', (byte)'T', (byte)'F', (byte)'I', (byte)'T'];
}
