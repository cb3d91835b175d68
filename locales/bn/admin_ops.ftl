# অ্যাডমিনের কাজের পাতা: সারসংক্ষেপ, সব অর্ডার, একটি অর্ডার, ম্যানুয়াল অর্ডার, পর্যালোচনার
# তালিকা, রিফিল ও বাতিল, অবস্থা সিঙ্ক, সিস্টেম (চার্টসহ)।

# সারসংক্ষেপ (/admin)
ops-alert = সতর্কতা:
ops-orders-today = আজকের অর্ডার
ops-revenue-today = আজকের আয়
ops-provider-cost-today = আজকের প্রোভাইডার খরচ
ops-profit-today = আজকের লাভ
ops-forwarding-queue = পাঠানোর সারি
ops-waiting-for-review = পর্যালোচনার অপেক্ষায়
ops-orders-per-day = প্রতিদিনের অর্ডার (গত ১৪ দিন)
ops-orders-per-day-label = প্রতিদিনের অর্ডার
ops-last-success = শেষ সফল যোগাযোগ
ops-error-rate = ত্রুটির হার
ops-avg-response = গড় সাড়া সময়
ops-enabled = চালু
ops-disabled = বন্ধ
ops-never = কখনও না
ops-no-providers = এখনও কোনো প্রোভাইডার নেই।
ops-last-sync-round = শেষ সিঙ্ক রাউন্ড
ops-last-round = রাউন্ড { $id } ({ $trigger }), { $at }: { $checked }টি যাচাই, { $changed }টি বদলেছে, { $errors }টি ত্রুটি।
ops-all-rounds = সব রাউন্ড
ops-no-round = এখনও কোনো রাউন্ড হয়নি।

# সিঙ্ক রাউন্ড কে শুরু করেছে।
ops-trigger-schedule = নির্ধারিত সময়ে
ops-trigger-admin = অ্যাডমিন
ops-trigger-force = জোর করে

# সব অর্ডার (/admin/orders) ও পাতা বদলের লিংক
ops-sync-now = এখনই সিঙ্ক করুন
ops-sync-rounds = সিঙ্ক রাউন্ড
ops-all-statuses = সব অবস্থা
ops-forward-state = পাঠানোর অবস্থা
ops-all-forward-states = পাঠানোর সব অবস্থা
ops-manual = ম্যানুয়াল
ops-manual-and-forwarded = ম্যানুয়াল ও পাঠানো
ops-manual-only = শুধু ম্যানুয়াল
ops-forwarded-only = শুধু পাঠানো
ops-all-providers = সব প্রোভাইডার
ops-needs-review = পর্যালোচনা দরকার
ops-user-id = ব্যবহারকারী আইডি
ops-orders-of-user = ব্যবহারকারী { $id }-এর সব অর্ডার
ops-from = শুরুর তারিখ
ops-to = শেষ তারিখ
ops-search-placeholder = অর্ডার আইডি, লিংক বা প্রোভাইডারের অর্ডার আইডি
ops-sync-selected = বাছাই করাগুলো সিঙ্ক করুন
ops-new-manual-order = নতুন ম্যানুয়াল অর্ডার
ops-review-queue = পর্যালোচনার তালিকা
ops-date = তারিখ
ops-qty = পরিমাণ
ops-provider-order = প্রোভাইডারের অর্ডার
ops-forward = পাঠানো
ops-select = বাছাই
ops-select-order = অর্ডার { $id } বাছাই করুন
ops-no-orders-match = মেলে এমন কোনো অর্ডার নেই।
ops-pages = পাতা
ops-newest = সবচেয়ে নতুন
ops-page = পাতা { $n }
ops-page-of = পাতা { $n }, মোট { $total }

# একটি অর্ডার (/admin/orders/{id}) ও পর্যালোচনার সিদ্ধান্ত
ops-order-n = অর্ডার { $id }
ops-sync = সিঙ্ক করুন
ops-provider-status = প্রোভাইডারের অবস্থা
ops-start-count = শুরুর সংখ্যা
ops-remains = বাকি
ops-last-checked = শেষ যাচাই
ops-provider-service = (সার্ভিস { $id })
ops-rate-used = ব্যবহৃত রেট
ops-rate-used-value = প্রতি ১০০০-এ { $rate } USD, বিনিময় হার { $exchange } { $currency }/USD
ops-provider-cost = প্রোভাইডারের খরচ
ops-attempts = চেষ্টা
ops-status-check-errors = অবস্থা যাচাইয়ে ত্রুটি
ops-in-a-row = পরপর { $n } বার
ops-last-error = শেষ ত্রুটি
ops-admin-notes = অ্যাডমিনের নোট
ops-no-clear-answer = পাঠানোর পর প্রোভাইডারের কাছ থেকে স্পষ্ট উত্তর আসেনি: হয়তো অর্ডারটি সেখানে তৈরি হয়ে গেছে। প্রোভাইডারের প্যানেলে দেখে নিন।
ops-edit = সম্পাদনা
ops-edit-hint = অবস্থা বদলালে অর্ডারের হিসাব সঙ্গে সঙ্গে মিটে যায়: আংশিক হলে ফেরত যায় মূল্য × বাকি ÷ পরিমাণ, বাতিল বা ব্যর্থ হলে বাকি সবটাই ফেরত যায়।
ops-edit-in-flight = একটি ওয়ার্কার এই মুহূর্তে অর্ডারটি প্রোভাইডারের কাছে পাঠাচ্ছে; উত্তর এলে তারপর এটি সম্পাদনা করা যাবে।
ops-edit-resolve-first = আগে ওপরের পর্যালোচনাটি মীমাংসা করুন; তারপর অর্ডারটি সম্পাদনা করা যাবে।
ops-provider-order-id = প্রোভাইডারের অর্ডার আইডি
ops-attach-aria = অর্ডার { $id }-এর সঙ্গে যুক্ত করার প্রোভাইডার অর্ডার আইডি
ops-attach = যুক্ত করুন
ops-resend = আবার পাঠান
ops-resume-sync = সিঙ্ক আবার চালু করুন
ops-fail-refund = ব্যর্থ করে টাকা ফেরত দিন

# ম্যানুয়াল অর্ডার (/admin/orders/manual)
ops-manual-intro = ম্যানুয়াল অর্ডার কখনও প্রোভাইডারের কাছে পাঠানো হয় না: আপনি নিজে ডেলিভারি দেবেন এবং এর অবস্থা ঠিক করবেন। এর দাম গ্রাহকের অর্ডারের মতোই ধরা হয় (১ USD = { $rate } { $currency })।
ops-for = ব্যবহারকারী:
ops-user-paren = (আইডি { $id })
ops-user-paren-disabled = (আইডি { $id }, বন্ধ)
ops-balance-is = ব্যালেন্স { $amount }
ops-choose-another = অন্য ব্যবহারকারী বাছুন
ops-find-user = ইমেইল দিয়ে ব্যবহারকারী খুঁজুন
ops-email-part = ইমেইল ঠিকানার অংশ
ops-no-user-match = কোনো ব্যবহারকারীর ইমেইলে “{ $query }” নেই।
ops-user-n = আইডি { $id }
ops-first-ten = প্রথম ১০ জনকে দেখানো হচ্ছে: খোঁজ ছোট করতে ঠিকানার আরও অংশ লিখুন।
ops-or-find-above = (অথবা ওপরে ব্যবহারকারী খুঁজে নিন)
ops-category = ক্যাটাগরি
ops-all-categories = সব ক্যাটাগরি
ops-choose-service = একটি সার্ভিস বাছুন…
ops-charge-balance = ব্যবহারকারীর ব্যালেন্স থেকে টাকা কাটুন
ops-create-manual = ম্যানুয়াল অর্ডার তৈরি করুন

# পর্যালোচনার তালিকা (/admin/review)
ops-review-intro = এই অর্ডারগুলো আপনার সিদ্ধান্তের অপেক্ষায় আছে। কিছু অর্ডার পাঠানোর পর কাজে লাগার মতো উত্তর পায়নি: প্রোভাইডার হয়তো সেগুলো তৈরি করে ফেলেছে, তাই প্রোভাইডারের প্যানেলে দেখে নিন, তারপর সেখানকার অর্ডার আইডি যুক্ত করুন, আবার পাঠান, অথবা ব্যর্থ করে টাকা ফেরত দিন। বাকিগুলো অবস্থা সিঙ্কের সময় বা প্রোভাইডারের দেরিতে আসা উত্তরের কারণে আটকে আছে; প্রতিটির সঙ্গে কারণ লেখা আছে।
ops-placed = অর্ডারের সময়
ops-why = কারণ
ops-no-usable-answer = পাঠানোর পর কাজে লাগার মতো উত্তর আসেনি।
ops-no-usable-answer-error = পাঠানোর পর কাজে লাগার মতো উত্তর আসেনি: { $error }
ops-nothing-waits = পর্যালোচনার অপেক্ষায় কিছু নেই।

# রিফিল ও বাতিল (/admin/requests)
ops-refills-and-cancels = রিফিল ও বাতিল
ops-refills = রিফিল
ops-cancels = বাতিল
ops-show-closed = বন্ধগুলোও দেখান
ops-open-only = শুধু খোলাগুলো
ops-requests-intro-a = অনুরোধগুলো ওয়ার্কাররা প্রোভাইডারের কাছে পাঠায়। যেগুলো কাজে লাগার মতো উত্তর পায়নি
ops-requests-intro-b = বা যেগুলো পাঠানোর মতো কোনো প্রোভাইডার নেই
ops-requests-intro-c = সেগুলো এখানে আপনার অপেক্ষায় থাকে। বাতিলের টাকা ফেরত অর্ডারের অবস্থা অনুযায়ী হয়: নিজে মেটাতে অর্ডারটি সম্পাদনা করুন।
ops-request-n = অনুরোধ { $id }
ops-rstatus-pending = অপেক্ষমাণ
ops-rstatus-in-progress = চলমান
ops-rstatus-completed = সম্পন্ন
ops-rstatus-rejected = প্রত্যাখ্যাত
ops-asked = অনুরোধের সময়
ops-provider-refill = প্রোভাইডারের রিফিল
ops-provider-refill-id = প্রোভাইডারের রিফিল আইডি
ops-provider-refill-aria = অনুরোধ { $id }-এর প্রোভাইডার রিফিল আইডি
ops-mark-done = সম্পন্ন হিসেবে চিহ্নিত করুন
ops-note-customer = গ্রাহকের জন্য নোট
ops-note-aria = অনুরোধ { $id }-এর নোট
ops-reject = প্রত্যাখ্যান করুন
ops-no-open-requests = কোনো খোলা { $kind } অনুরোধ নেই।
ops-no-requests = কোনো { $kind } অনুরোধ নেই।

# অবস্থা সিঙ্ক (/admin/sync)
ops-status-sync = অবস্থা সিঙ্ক
ops-now = এখন
ops-round-running = রাউন্ড { $id } চলছে, { $at } থেকে
ops-idle = কিছু চলছে না
ops-next-round = পরের নির্ধারিত রাউন্ড
ops-every-n-s = প্রতি { $n } সেকেন্ডে
ops-round = রাউন্ড
ops-trigger = শুরুর কারণ
ops-started = শুরু
ops-took = সময় লেগেছে
ops-checked = যাচাই
ops-changed = বদলেছে
ops-errors = ত্রুটি
ops-problems = সমস্যা
ops-seconds = { $n } সেকেন্ড
ops-running = চলছে
ops-no-rounds = এখনও কোনো রাউন্ড হয়নি।

# সিস্টেম (/admin/system)
ops-metrics-off-a = এই ইনস্ট্যান্স নিজের পরিমাপ রাখে না
ops-metrics-off-b = অন্য ইনস্ট্যান্সগুলোর ইতিহাস তবুও দেখা যায়।
ops-instances-last-hour = ইনস্ট্যান্স (গত এক ঘণ্টা)
ops-instance = ইনস্ট্যান্স
ops-last-seen = শেষ দেখা
ops-requests = অনুরোধ
ops-5xx = সার্ভার ত্রুটি
ops-memory = মেমরি
ops-this-minute = এই মিনিটে
ops-min-ago = { $n } মিনিট আগে
ops-mib = মেগাবাইট
ops-no-instance = কোনো ইনস্ট্যান্স এখনও এক মিনিটের হিসাব লেখেনি: চালু হওয়ার এক মিনিট পরে প্রথম সারি দেখা যাবে।
ops-retention = প্রতিটি ইনস্ট্যান্স প্রতি মিনিটে একটি সারি লেখে; দুই দিনের বেশি পুরোনো সারিগুলো ঘণ্টাভিত্তিক সারি হিসেবে রাখা হয়, আর ৩০ দিনের বেশি পুরোনো সবকিছু মুছে ফেলা হয়।
ops-prometheus-a = প্রমিথিউস প্রতিটি ইনস্ট্যান্সের
ops-prometheus-b = থেকে তথ্য সংগ্রহ করতে পারে।
ops-last-hour = গত এক ঘণ্টা
ops-last-24-hours = গত ২৪ ঘণ্টা
ops-ten-minute-points = (১০ মিনিট পরপর)
ops-alert-thresholds = সতর্কতার সীমা
ops-thresholds-intro-a = প্রতিটি ইনস্ট্যান্সের শেষ ৫ মিনিট দেখে বিচার করা হয় (অন্তত ১০টি অনুরোধ বা কল থাকলে); কোনো সতর্কতা না চাইলে ঘরটি ফাঁকা রাখুন। সতর্কতা এখানে ও অ্যাডমিন ড্যাশবোর্ডে দেখা যায়, আর কোনো সতর্কতা শুরু ও শেষ হলে প্রতিটি ইনস্ট্যান্স লগে
ops-thresholds-intro-b = লেখে।
ops-threshold-error-rate = সার্ভার ত্রুটির হার এই মান বা তার বেশি হলে (%)
ops-threshold-p95 = p95 সাড়া সময় এই মান বা তার বেশি হলে (ms)
ops-threshold-queue = পাঠানোর সারি এই মান বা তার বেশি হলে (অর্ডার)
ops-threshold-provider-error = কোনো প্রোভাইডারের ত্রুটির হার এই মান বা তার বেশি হলে (%)
ops-threshold-provider-balance = কোনো প্রোভাইডারের ব্যালেন্স এই মানের নিচে নামলে (তার নিজের মুদ্রায়)
ops-save-thresholds = সীমা সংরক্ষণ করুন

# সিস্টেম পাতার চার্ট (শিরোনাম, একক, লেজেন্ড)
ops-chart-requests = প্রতি মিনিটে অনুরোধ
ops-chart-response = সাড়া সময় (সব ইনস্ট্যান্স)
ops-chart-server-errors = সার্ভার ত্রুটি
ops-chart-cpu = CPU (একটি কোরের শতাংশ)
ops-chart-memory = মেমরি (ব্যবহৃত)
ops-chart-sync = সিঙ্ক রাউন্ড (দীর্ঘতম)
ops-chart-provider-latency = প্রোভাইডারের সাড়া সময় (গড়)
ops-chart-provider-errors = প্রোভাইডারের ত্রুটি
ops-chart-provider-n = প্রোভাইডার #{ $id }
ops-chart-empty = এই সময়সীমায় এখনও কোনো তথ্য নেই।
ops-unit-per-min = /মিনিট
ops-unit-orders = অর্ডার
ops-unit-s = সেকেন্ড
