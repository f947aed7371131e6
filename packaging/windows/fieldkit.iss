; Inno Setup script for fieldkit on Windows (Inno Setup 6).
;
; Build on Windows, from the repository root, in a venv where fieldkit is installed:
;   py -3.11 -m venv .venv
;   .venv\Scripts\pip install -e . "pyinstaller>=6.10"
;   .venv\Scripts\pyinstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\fieldkit.spec
;   .venv\Scripts\python packaging\smoke.py dist\fieldkit\fieldkit.exe
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" packaging\windows\fieldkit.iss
; Output: dist\fieldkit-0.1.0-setup.exe
;
; Per-user install by default (no administrator rights needed, which suits managed laptops);
; IT can install for all users silently with:
;   fieldkit-0.1.0-setup.exe /VERYSILENT /ALLUSERS /SUPPRESSMSGBOXES
; The rep's library and settings (in %LOCALAPPDATA%\fieldkit) are kept on uninstall.

#define MyAppName "fieldkit"
#define MyAppVersion "0.1.0"
#define MyAppPublisher "fieldkit"
#define MyAppExeName "fieldkit-app.exe"
#define SystemEnvironment "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"

[Setup]
; A fixed AppId: upgrades replace the installed version instead of installing beside it.
AppId={{6C3F2A7E-4B1D-4C8E-9D52-0F7A1E2B9C34}
AppName={#MyAppName}
AppVersion={#MyAppVersion}
AppPublisher={#MyAppPublisher}
DefaultDirName={autopf}\{#MyAppName}
DefaultGroupName={#MyAppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
OutputDir=..\..\dist
OutputBaseFilename=fieldkit-{#MyAppVersion}-setup
SetupIconFile=..\..\resources\icons\fieldkit.ico
UninstallDisplayIcon={app}\{#MyAppExeName}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Close a running fieldkit before replacing its files.
CloseApplications=yes
ChangesEnvironment=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"
Name: "addtopath"; Description: "Add fieldkit to PATH (for the command line)"; GroupDescription: "Command line:"; Flags: unchecked

[Files]
; The whole PyInstaller folder: fieldkit.exe (command line), fieldkit-app.exe (no console),
; _internal\ and resources\ (the demo library).
Source: "..\..\dist\fieldkit\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"; Parameters: "app"
Name: "{autodesktop}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"; Parameters: "app"; Tasks: desktopicon

[Registry]
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: (not IsAdminInstallMode) and NeedsAddPath(ExpandConstant('{app}'))
Root: HKLM; Subkey: "{#SystemEnvironment}"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: IsAdminInstallMode and NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\{#MyAppExeName}"; Parameters: "app"; Description: "{cm:LaunchProgram,{#MyAppName}}"; Flags: nowait postinstall skipifsilent

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Path: string;
  Found: Boolean;
begin
  if IsAdminInstallMode then
    Found := RegQueryStringValue(HKEY_LOCAL_MACHINE, '{#SystemEnvironment}', 'Path', Path)
  else
    Found := RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Path);
  if not Found then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Path) + ';') = 0;
end;
