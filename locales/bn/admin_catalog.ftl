# অ্যাডমিন: প্রোভাইডার, সার্ভিস ও ক্যাটাগরি, ব্যবহারকারী, সেটিংস, অডিট লগ, অ্যাডমিন।

# প্রোভাইডারের তালিকা ও ফর্ম
cat-col-api-url = API URL
cat-col-key = API কী
cat-col-last-success = সর্বশেষ সফল
cat-col-error-rate = ত্রুটির হার
cat-col-avg-response = গড় উত্তর সময়
cat-provider-enabled = চালু
cat-provider-disabled = বন্ধ
cat-never = কখনো না
cat-of-calls = { $n }টি কলের মধ্যে
cat-manage = পরিচালনা
cat-no-providers = এখনো কোনো প্রোভাইডার নেই: নিচে প্রথমটি যোগ করুন।
cat-add-a-provider = নতুন প্রোভাইডার যোগ করুন
cat-add-provider = প্রোভাইডার যোগ করুন
cat-api-key = API কী
# The key's last characters are shown in <code> beside the label (a placeholder has no <code>).
cat-key-keep = খালি রাখলে আগের কী-ই থাকবে
cat-on-ambiguous = কোনো অর্ডারের পরিষ্কার উত্তর না এলে
cat-ambiguous-review = পর্যালোচনার জন্য আটকে রাখুন (দুবার কেনার ঝুঁকি নেই)
cat-ambiguous-retry = আবার পাঠান (এই প্রোভাইডার একই অর্ডার দুবার নেয় না)
cat-currency = যে মুদ্রায় চার্জ করে
cat-currency-placeholder = ব্যালেন্সে যে মুদ্রা দেখায় (USD, BDT, …)

# একটি প্রোভাইডার
cat-provider-n = প্রোভাইডার { $id }
cat-average-response = গড় উত্তর সময়
cat-errors-of-calls = { $calls }টি কলের মধ্যে { $errors }টি ব্যর্থ
cat-last-error = শেষ ত্রুটি:
cat-test-ok = সংযোগ OK: ব্যালেন্স { $balance }, উত্তর এসেছে { $ms } ms-এ।
cat-test-failed = { $ms } ms পরে সংযোগ ব্যর্থ হয়েছে
cat-test-connection = সংযোগ পরীক্ষা করুন
cat-import-services = সার্ভিস ইমপোর্ট করুন
cat-import-help = প্রোভাইডারের সার্ভিস তালিকা পড়ে প্রতিটির জন্য একটি করে সার্ভিস যোগ বা হালনাগাদ করে; দাম হয় প্রোভাইডারের রেট আর আপনার মার্কআপ মিলিয়ে। আবার ইমপোর্ট করলে রেট হালনাগাদ হয়, একই সার্ভিস দুবার যোগ হয় না।
cat-markup = মার্কআপ (শতাংশ)
cat-into-category = কোন ক্যাটাগরিতে
cat-own-categories = প্রোভাইডারের নিজস্ব ক্যাটাগরি
cat-remove = সরিয়ে ফেলা
cat-remove-help = যে প্রোভাইডারকে কোনো সার্ভিস ব্যবহার করে, পুরোনো অর্ডারের রেকর্ডের জন্য সেটি রেখে দেওয়া হয়, আর তার সার্ভিসগুলো বন্ধ করা হয়।
cat-remove-provider = প্রোভাইডার সরিয়ে ফেলুন

# সার্ভিস ও ক্যাটাগরি
cat-usd-equals = ১ USD = { $rate } { $currency }
cat-change = বদলান
cat-col-category = ক্যাটাগরি
cat-col-provider-id = প্রোভাইডারের আইডি
cat-col-cost = খরচ USD/১০০০
cat-col-rate = রেট USD/১০০০
cat-col-price = দাম { $currency }/১০০০
cat-col-min = সর্বনিম্ন
cat-col-max = সর্বোচ্চ
cat-col-mode = মোড
cat-mode-auto = স্বয়ংক্রিয়
cat-mode-manual = ম্যানুয়াল
cat-on = চালু
cat-off = বন্ধ
cat-edit = সম্পাদনা
cat-no-services = এখনো কোনো সার্ভিস নেই:
cat-no-services-link = প্রোভাইডার
cat-no-services-after = থেকে ইমপোর্ট করুন বা নিচে যোগ করুন।
cat-categories = ক্যাটাগরি
cat-shown-to-customers = গ্রাহকদের দেখানো হয়
cat-hide = লুকান
cat-show = দেখান
cat-new-category-name = নতুন ক্যাটাগরির নাম
cat-add-category = ক্যাটাগরি যোগ করুন
cat-add-a-service = নতুন সার্ভিস যোগ করুন
cat-add-service = সার্ভিস যোগ করুন

# সার্ভিসের ফর্ম
cat-choose = বেছে নিন…
cat-selling-rate = বিক্রির রেট (প্রতি ১০০০-এ USD)
cat-min-quantity = সর্বনিম্ন পরিমাণ
cat-max-quantity = সর্বোচ্চ পরিমাণ
cat-mode-auto-option = স্বয়ংক্রিয়: প্রোভাইডারের কাছে পাঠানো হয়
cat-mode-manual-option = ম্যানুয়াল: একজন অ্যাডমিন দেখেন
cat-provider-none = কোনোটি নয় (শুধু ম্যানুয়াল)
cat-provider-service-id = প্রোভাইডারের সার্ভিস আইডি
cat-refill-supported = রিফিল করা যায়
cat-refill-days = রিফিলের মেয়াদ (অর্ডারের পর কত দিন)
cat-cancel-supported = বাতিল করা যায়
cat-dripfeed-supported = ধাপে ধাপে পাঠানো যায় (রান × পরিমাণ, প্রতি বিরতিতে একটি রান)
cat-type-before = ধরন (প্রোভাইডারের দেওয়া;
cat-type-after = ধরনে প্রতি লাইনে একটি কমেন্ট লাগে)
cat-enabled-customers = চালু (গ্রাহকরা অর্ডার করতে পারেন)
cat-accepts-username = লিংকের বদলে শুধু ইউজারনেম নেয়
cat-service-n = সার্ভিস { $id }
cat-provider-charges = প্রোভাইডার প্রতি ১০০০-এ { $cost } USD নেয়।
cat-all-services = সব সার্ভিস

# ব্যবহারকারী
cat-search-by-email = ইমেইল দিয়ে খুঁজুন
cat-col-role = ভূমিকা
cat-col-balance-in = ব্যালেন্স ({ $currency })
cat-col-last-sign-in = সর্বশেষ সাইন ইন
cat-user-disabled = বন্ধ
cat-user-active = সক্রিয়
cat-enable = চালু করুন
cat-disable = বন্ধ করুন
cat-adjust = সমন্বয়
cat-amount-hint = পরিমাণ (ঋণাত্মক দিলে কেটে নেওয়া হয়)
cat-note-required = নোট (আবশ্যক)
cat-apply = প্রয়োগ করুন
cat-no-users = কোনো ব্যবহারকারী মেলেনি।
cat-page-of = পৃষ্ঠা { $page } / { $pages }

# সেটিংস
cat-exchange-rate = বিনিময় হার
cat-exchange-help = সার্ভিসের রেট USD-তে ঠিক করা থাকে; গ্রাহকরা এই হারে { $currency }-তে পরিশোধ করেন। আগে দেওয়া অর্ডার যে হারে চার্জ হয়েছিল, সেই হারেই থাকে।
cat-usd-in = ১ USD সমান কত { $currency }

# অডিট লগ
cat-audit-log = অডিট লগ
cat-audit-placeholder = অ্যাকশন, যেমন order.edit বা user.balance
cat-col-who = কে
cat-col-from = কোথা থেকে
cat-col-action = অ্যাকশন
cat-col-target = কীসের ওপর
cat-col-before = আগে
cat-col-after = পরে
cat-audit-user = ব্যবহারকারী { $id }
cat-audit-system = সিস্টেম
cat-no-audit = কোনো অডিট রেকর্ড নেই।

# অ্যাডমিন
cat-add-an-admin = নতুন অ্যাডমিন যোগ করুন
cat-admins-help = অ্যাডমিনরা অর্ডার, প্রোভাইডার, সার্ভিস ও ব্যবহারকারী পরিচালনা করেন। শুধু সুপার অ্যাডমিন নতুন অ্যাডমিন যোগ করতে পারেন।
cat-create-admin = অ্যাডমিন তৈরি করুন
