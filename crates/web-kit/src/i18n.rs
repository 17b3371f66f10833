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
    /// The text in this language, from the pair written Japanese first.
    pub fn tr<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
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
    demo_banner_short: "DEMO（デモ用のデータです）", "DEMO (sample data)";
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
    login_failed: "ユーザー名またはパスワードが正しくありません。失敗が続いたアカウントは、しばらくの間（最初は15分）ログインできません。", "The user name or password is wrong. An account with repeated failures cannot sign in for a while (15 minutes at first).";
    login_again: "確認コードの誤りが続いたため、この手続きを終了しました。パスワードからやり直してください。誤りが続いたアカウントは、しばらくの間ログインできません。", "Too many wrong codes: this sign-in has ended. Start again from the password. An account with repeated failures cannot sign in for a while.";
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
    user_credentials_ended: "利用者の設定を変更しました。この利用者のログイン中のセッションはすべて終了し、APIトークンはすべて無効になりました。", "User updated. All of this user's sessions have ended and all their API tokens are revoked.";
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

    nav_directory: "資源検索", "Directory";
    nav_map: "地域の資源マップ", "Resource map";
    dir_title: "医療・介護資源の検索", "Medical and care resources";
    dir_search: "検索", "Search";
    dir_q: "名称・ふりがな・住所", "Name, kana or address";
    dir_kind: "種別", "Kind";
    dir_service: "サービス", "Service";
    dir_function: "在宅医療の機能", "Home-care function";
    dir_procedure: "対応できる医療処置", "Procedure";
    dir_accepting: "新規受入可のみ", "Accepting new patients only";
    dir_contactable: "いま連絡できるところのみ", "Can be contacted now";
    dir_area: "日常生活圏域", "Daily-life area";
    dir_municipality: "市区町村コード", "Municipality code";
    dir_near: "この地点から近い順", "Nearest to this point";
    dir_use_location: "現在地から探す", "Search near me";
    dir_use_map_centre: "地図の中心から探す", "Search from the map centre";
    dir_clear_near: "位置の指定をやめる", "Clear the location";
    dir_radius: "距離（km）", "Distance (km)";
    dir_any: "指定なし", "Any";
    dir_results: "検索結果", "Results";
    dir_no_results: "条件に合う資源は見つかりませんでした。条件を減らしてお試しください。", "Nothing matched. Try fewer conditions.";
    dir_next: "次の20件", "Next 20";
    dir_first: "最初から", "From the start";
    dir_map_label: "地図（一覧と同じ資源を表示）", "Map (the same resources as the list)";
    dir_map_offline: "地図画像を読み込めません（オフライン）。位置の印は表示しています。", "Map images cannot be loaded (offline). The markers are still shown.";
    dir_acceptance: "受入状況", "Acceptance";
    dir_as_of: "時点", "as of";
    dir_vacant_beds: "空床", "Vacant beds";
    dir_contact_windows: "ケアマネジャーからの連絡方法・時間", "How and when care managers may get in touch";
    dir_no_windows: "連絡方法・時間は登録されていません。", "No contact windows are registered.";
    dir_contact_person: "担当者", "Contact person";
    dir_features: "特色", "Distinctive features";
    dir_languages: "対応言語", "Languages";
    dir_hours: "受付時間・休業日", "Hours and closed days";
    dir_departments: "診療科目", "Departments";
    dir_phone: "電話", "Phone";
    dir_fax: "FAX", "FAX";
    dir_url: "ホームページ", "Web site";
    dir_email: "メール", "E-mail";
    dir_address: "住所", "Address";
    dir_official_code: "公的コード", "Official code";
    dir_capacity: "定員・病床数", "Capacity / beds";
    dir_notes: "連携メモ（専門職のみ）", "Notes (professionals only)";
    dir_confirmed: "最終確認", "Last confirmed";
    dir_never_confirmed: "まだ確認されていません", "Not confirmed yet";
    dir_overdue: "確認の期限を過ぎています", "Confirmation is overdue";
    dir_confirm_button: "この内容で正しい", "Still correct";
    dir_confirmed_done: "確認を記録しました。", "Confirmation recorded.";
    dir_edit: "掲載内容を修正する", "Edit this entry";
    dir_edit_title: "掲載内容の修正", "Edit entry";
    dir_save: "保存する", "Save";
    dir_saved: "保存しました。", "Saved.";
    dir_awaiting_review: "公開される項目の変更のため、支援センターの確認後に反映されます。", "This change touches public information and will apply after the support centre reviews it.";
    dir_unchanged: "変更はありませんでした。", "Nothing changed.";
    dir_pending_changes: "確認待ちの変更があります", "Changes await review";
    dir_acceptance_set: "受入状況を更新しました。", "Acceptance status updated.";
    dir_maintained_by: "更新する事業所", "Maintained by";
    dir_link_org: "更新する事業所を設定", "Set the maintaining organisation";
    dir_link: "設定する", "Set";
    dir_none: "なし", "None";
    dir_public_fields: "地域住民向けマップに公開する項目", "Shown on the public map";
    dir_publish_consent: "地域住民向けマップへの掲載に同意する", "Consent to appear on the public map";
    dir_window: "連絡可能時間", "Contact window";
    dir_method: "方法", "Method";
    dir_weekdays: "曜日", "Weekdays";
    dir_from: "開始", "From";
    dir_to: "終了", "To";
    dir_note: "補足", "Note";
    dir_window_help: "空欄の行は保存されません。日をまたぐ時間帯（22:00〜06:00）も入力できます。時刻は日本時間です。", "Empty rows are not saved. Ranges may run past midnight (22:00–06:00). Times are Japan time.";
    dir_mine_title: "自分の事業所の掲載情報", "My organisation's entries";
    dir_mine_none: "あなたの所属先に結びついた掲載情報はありません。支援センターに設定を依頼してください。", "No entry is linked to your organisation yet. Ask the support centre to link it.";
    dir_mine_help: "受入状況はボタンを1回押すだけで更新されます。", "One tap updates the acceptance status.";
    dir_reviews_title: "掲載内容の変更の確認", "Review directory changes";
    dir_reviews_none: "確認待ちの変更はありません。", "No changes await review.";
    dir_requested_by: "依頼者", "Requested by";
    dir_current: "現在", "Current";
    dir_proposed: "変更後", "Proposed";
    dir_approve: "承認して反映", "Approve";
    dir_reject: "差し戻す", "Reject";
    dir_reviewed: "確認結果を記録しました。", "Review recorded.";
    dir_freshness_title: "掲載情報の確認状況", "Directory freshness";
    dir_freshness_help: "確認の間隔", "Confirmation interval";
    dir_days: "日", "days";
    dir_share: "確認済みの割合", "Confirmed share";
    dir_entries: "掲載数", "Entries";
    dir_confirmed_count: "期限内に確認済み", "Confirmed in time";
    dir_overdue_list: "確認の期限を過ぎた掲載", "Overdue entries";
    dir_last_reminder: "最終の確認依頼", "Last reminder";
    dir_send_reminders: "確認依頼メールを送る", "Send reminder e-mails";
    dir_reminders_sent: "確認依頼", "Reminders";
    dir_mail_captured: "（デモ: メールは送信せず記録のみ）", "(demo: mail captured, not sent)";
    dir_new_title: "資源を追加（生活支援・相談窓口など）", "Add a resource (life support, consultation desk …)";
    dir_name: "名称", "Name";
    dir_kana: "ふりがな", "Kana";
    dir_lat: "緯度", "Latitude";
    dir_lon: "経度", "Longitude";
    dir_municipality_name: "市区町村名", "Municipality";
    dir_created: "追加しました。", "Added.";
    dir_add: "追加する", "Add";
    dir_freshness_link: "確認状況", "Freshness";
    dir_reviews_link: "変更の確認", "Reviews";
    dir_new_link: "資源を追加", "Add a resource";
    dir_mine_link: "自分の事業所", "My entries";
    dir_back_to_list: "検索に戻る", "Back to the search";
    map_title: "地域の医療・介護資源マップ", "Medical and care resources near you";
    map_lead: "お住まいの地域の病院・診療所・薬局・介護サービス・相談窓口を探せます。", "Find hospitals, clinics, pharmacies, care services and places to ask for help.";
    map_where_to_ask: "どこに相談すればよいですか？", "Where can I ask?";
    map_where_to_ask_lead: "介護や在宅医療のことは、まずこちらにご相談ください。", "For questions about care and medical care at home, start here.";
    map_no_desks: "相談窓口は登録されていません。", "No consultation desk is listed.";
    acc_accepting: "受入可", "Accepting";
    acc_waiting_list: "待機あり", "Waiting list";
    acc_full: "満床・受入不可", "Full";
    acc_unknown: "未登録", "Unknown";
}
