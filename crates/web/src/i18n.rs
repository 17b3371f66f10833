//! The UI's words, Japanese first with English beside them.
//!
//! Every text is a field of [`Texts`], so a template that names a missing text
//! does not compile and no language can lack a string.

/// The language of the UI, chosen by the `renkei_lang` cookie (Japanese by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }
    /// The other language, for the switch in the header.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }
}

macro_rules! texts {
    ($($field:ident: $ja:literal, $en:literal;)+) => {
        /// All UI texts of one language.
        #[derive(Debug)]
        pub struct Texts { $(pub $field: &'static str),+ }
        pub static JA: Texts = Texts { $($field: $ja),+ };
        pub static EN: Texts = Texts { $($field: $en),+ };
    };
}

texts! {
    app_name: "Renkei 連携", "Renkei";
    app_tagline: "在宅医療・介護連携", "Home medical and care coordination";
    skip_to_content: "本文へ移動", "Skip to main content";
    demo_banner: "DEMO（デモ用のデータです。実際の患者情報を入力しないでください）", "DEMO (sample data: do not enter real patient information)";
    lang_switch: "English", "日本語";
    lang_switch_label: "表示言語を英語に切り替える", "Switch the language to Japanese";
    nav_label: "メインメニュー", "Main menu";
    nav_home: "ホーム", "Home";
    nav_orgs: "事業所・機関", "Organisations";
    nav_users: "利用者管理", "Users";
    nav_audit: "監査ログ", "Audit trail";
    nav_account: "アカウント", "Account";
    logout: "ログアウト", "Log out";
    signed_in_as: "ログイン中", "Signed in as";
    footer: "Renkei — 在宅医療・介護連携推進事業のためのオープンソース基盤", "Renkei — open-source platform for home medical and care coordination";

    login_title: "ログイン", "Log in";
    login_intro: "職員用のログイン画面です。ユーザー名とパスワードを入力してください。", "Staff login. Enter your user name and password.";
    username: "ユーザー名", "User name";
    password: "パスワード", "Password";
    login_button: "ログイン", "Log in";
    login_failed: "ユーザー名またはパスワードが正しくありません。", "The user name or password is wrong.";
    login_locked: "ログインの失敗が続いたため、このアカウントはロックされています。所属の管理者に解除を依頼してください。", "This account is locked after repeated failed logins. Ask your administrator to unlock it.";
    login_disabled: "このアカウントは利用停止されています。所属の管理者にお問い合わせください。", "This account is disabled. Contact your administrator.";
    login_throttled: "この端末からのログイン失敗が多すぎます。15分ほど待ってからもう一度お試しください。", "Too many failed logins from this device. Wait about 15 minutes and try again.";
    logged_out: "ログアウトしました。", "You have logged out.";
    session_expired: "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。", "Your session ended. Please log in again.";

    mfa_title: "確認コードの入力", "Enter your verification code";
    mfa_intro: "認証アプリに表示されている6桁の確認コードを入力してください（二要素認証）。", "Enter the 6-digit code shown in your authenticator app (two-factor authentication).";
    code_label: "確認コード", "Verification code";
    code_hint: "6桁の数字。スマートフォンをなくした場合は回復コード（xxxx-xxxx）も使えます。", "6 digits. If you lost your phone, a recovery code (xxxx-xxxx) also works.";
    verify_button: "確認する", "Verify";
    bad_code: "確認コードが正しくないか、既に使われています。新しいコードを入力してください。", "The code is wrong or was already used. Enter a new code.";
    demo_code_hint: "デモ用：現在の確認コードは", "Demo only: the current code is";

    enrol_title: "二要素認証の設定", "Set up two-factor authentication";
    enrol_intro: "患者情報を扱う利用者は、パスワードに加えて認証アプリの確認コードが必要です（厚生労働省「医療情報システムの安全管理に関するガイドライン」第6.0版）。", "Users who handle patient information need a code from an authenticator app as well as their password (MHLW security guideline 6.0).";
    enrol_step1: "1. 認証アプリ（Google Authenticator、Microsoft Authenticator など）で次のQRコードを読み取ってください。", "1. Scan this QR code with an authenticator app (Google Authenticator, Microsoft Authenticator, …).";
    enrol_manual: "読み取れない場合は、次のキーを手入力してください：", "If you cannot scan it, type this key:";
    enrol_step2: "2. アプリに表示された6桁のコードを入力してください。", "2. Enter the 6-digit code the app shows.";
    enrol_button: "設定を完了する", "Finish set-up";
    recovery_title: "回復コード", "Recovery codes";
    recovery_intro: "スマートフォンをなくしたときに使う回復コードです。この画面でしか表示されません。印刷するか安全な場所に控えてください。各コードは1回だけ使えます。", "Use these if you lose your phone. They are shown only now: print them or keep them somewhere safe. Each works once.";
    continue_button: "ホームへ進む", "Continue to home";
    print_button: "印刷する", "Print";

    home_title: "ホーム", "Home";
    you_are: "あなたの情報", "About you";
    name: "氏名", "Name";
    role: "権限", "Role";
    profession: "職種", "Profession";
    organisations: "所属", "Organisations";
    region: "圏域", "Region";
    none: "なし", "None";
    what_you_can_do: "できること", "What you can do";
    card_orgs_desc: "圏域の事業所・機関の一覧と登録。", "List and register the region's organisations.";
    card_users_desc: "利用者の登録、利用停止、ロック解除、二要素認証の再設定。", "Register users, disable them, unlock them, reset their two-factor authentication.";
    card_audit_desc: "誰がいつ何をしたかの検索とCSV出力。", "Search who did what and when, and export CSV.";
    card_account_desc: "二要素認証の状態とAPIトークンの管理。", "Two-factor status and API tokens.";
    mfa_status: "二要素認証", "Two-factor authentication";
    mfa_on: "設定済み", "On";
    mfa_off: "未設定", "Off";

    account_title: "アカウント", "Account";
    recovery_left: "未使用の回復コード", "Unused recovery codes";
    tokens_title: "APIトークン", "API tokens";
    tokens_intro: "JSON API（/api/v1/）をプログラムから使うための個人用トークンです。作成時に一度だけ表示されます。", "Personal tokens for using the JSON API (/api/v1/) from programs. Shown once when created.";
    token_name: "用途（名前）", "Purpose (name)";
    token_scopes: "権限", "Scopes";
    scope_read: "読み取り", "Read";
    scope_write: "書き込み", "Write";
    token_days: "有効期間（日）", "Lifetime (days)";
    token_create: "トークンを作成", "Create token";
    token_created: "トークンを作成しました。この値は二度と表示されません。今すぐ控えてください：", "Token created. It will not be shown again; copy it now:";
    token_prefix: "識別子", "Prefix";
    token_expires: "有効期限", "Expires";
    token_last_used: "最終利用", "Last used";
    token_revoke: "無効にする", "Revoke";
    token_revoked: "無効", "Revoked";
    token_active: "有効", "Active";
    token_revoked_ok: "トークンを無効にしました。", "Token revoked.";
    no_tokens: "トークンはありません。", "No tokens.";
    created: "作成日時", "Created";
    status: "状態", "Status";

    orgs_title: "事業所・機関", "Organisations";
    new_org: "事業所・機関の登録", "Register an organisation";
    kind: "種別", "Kind";
    org_name: "名称", "Name";
    kana: "ふりがな", "Kana";
    municipality: "市区町村", "Municipality";
    address: "所在地", "Address";
    phone: "電話番号", "Phone";
    choose: "選択してください", "Choose";
    register: "登録する", "Register";
    org_created: "事業所・機関を登録しました。", "Organisation registered.";
    no_orgs: "登録されている事業所・機関はありません。", "No organisations yet.";

    users_title: "利用者管理", "Users";
    new_user: "利用者の登録", "Register a user";
    display_name: "氏名", "Name";
    email: "メールアドレス", "E-mail";
    initial_password: "初期パスワード（10文字以上）", "Initial password (10+ characters)";
    actions: "操作", "Actions";
    disable: "利用停止", "Disable";
    enable: "利用再開", "Enable";
    unlock: "ロック解除", "Unlock";
    reset_mfa: "二要素認証をリセット", "Reset 2FA";
    st_active: "利用中", "Active";
    st_disabled: "利用停止", "Disabled";
    st_locked: "ロック中", "Locked";
    user_created: "利用者を登録しました。", "User registered.";
    user_updated: "利用者の設定を変更しました。", "User updated.";
    confirm_reset: "この利用者の二要素認証をリセットします。次回ログイン時に再設定が必要です。", "Resets this user's 2FA; they set it up again at next login.";

    audit_title: "監査ログ", "Audit trail";
    audit_intro: "ログイン、二要素認証、利用者・事業所の変更、患者情報の閲覧・更新はすべて記録され、改ざんを検出できる形で保存されています。", "Logins, two-factor changes, user and organisation changes and every read or write of patient data are recorded in a tamper-evident chain.";
    f_user: "ユーザー名", "User name";
    f_patient: "患者ID", "Patient ID";
    f_action: "操作の種類", "Action";
    f_from: "開始日", "From";
    f_until: "終了日（この日を含む）", "Until (inclusive)";
    search: "検索", "Search";
    export_csv: "CSVで出力", "Export CSV";
    col_time: "日時（日本時間）", "Time (JST)";
    col_actor: "操作者", "Actor";
    col_action: "操作", "Action";
    col_object: "対象", "Object";
    col_patient: "患者", "Patient";
    col_outcome: "結果", "Outcome";
    col_source: "接続元", "Source";
    col_reason: "理由・詳細", "Reason / detail";
    no_results: "該当する記録はありません。", "No matching records.";
    older: "さらに古い記録", "Older records";
    bad_date: "日付は YYYY-MM-DD の形式で入力してください。", "Enter dates as YYYY-MM-DD.";

    error_title: "エラー", "Error";
    back_home: "ホームへ戻る", "Back to home";
    err_not_found: "お探しのページは見つかりませんでした。", "The page was not found.";
    err_forbidden: "この操作を行う権限がありません。", "You are not allowed to do this.";
    err_csrf: "フォームの有効期限が切れたか、不正な送信です。ページを再読み込みしてもう一度お試しください。", "The form expired or the request was not sent from Renkei. Reload the page and try again.";
    err_too_large: "送信されたデータが大きすぎます。", "The data sent is too large.";
    err_timeout: "処理に時間がかかりすぎました。もう一度お試しください。", "The request took too long. Please try again.";
    err_bad_request: "送信内容を読み取れませんでした。", "The request could not be read.";
    err_internal: "システムエラーが発生しました。時間をおいてもう一度お試しください。問題が続く場合は管理者に連絡してください。", "Something went wrong. Try again later; tell your administrator if it persists.";
    err_method: "この方法ではページを利用できません。", "This page does not accept that method.";
    err_form: "入力内容を確認してください。", "Please check the form.";
}
